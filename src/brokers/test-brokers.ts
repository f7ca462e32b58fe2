/**
 * The machine's brokers for tests: NATS with JetStream (BATON_TEST_NATS, default
 * nats://127.0.0.1:4222), RabbitMQ (BATON_TEST_AMQP, default amqp://guest:guest@127.0.0.1:5672)
 * and Mosquitto (BATON_TEST_MQTT, default mqtt://127.0.0.1:1883). Tests that need one use
 * `describeBroker`: where it does not answer they are skipped and say so loudly, unless
 * BATON_REQUIRE_BROKERS (or BATON_REQUIRE_POSTGRES, which CI sets) is set: there they fail.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, it } from 'vitest';
import type { BrokerKind } from './broker-url.js';

export const BROKER_TEST_URLS: Readonly<Record<BrokerKind, string>> = {
  nats: process.env.BATON_TEST_NATS ?? 'nats://127.0.0.1:4222',
  amqp: process.env.BATON_TEST_AMQP ?? 'amqp://guest:guest@127.0.0.1:5672',
  mqtt: process.env.BATON_TEST_MQTT ?? 'mqtt://127.0.0.1:1883',
};

const HOW_TO_START: Readonly<Record<BrokerKind, string>> = {
  nats: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server',
  amqp: 'rabbitmq-server -detached',
  mqtt: 'mosquitto -d -c /etc/mosquitto/mosquitto.conf',
};

/** Undefined when the broker's port takes a connection; otherwise why not. */
export function brokerUnavailable(kind: BrokerKind): Promise<string | undefined> {
  const url = new URL(BROKER_TEST_URLS[kind]);
  const port = Number(url.port || { nats: 4222, amqp: 5672, mqtt: 1883 }[kind]);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port, timeout: 3000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`${kind} at ${url.hostname}:${port} does not answer`);
    });
    socket.once('error', (err) => resolve(`${kind} at ${url.hostname}:${port} is not reachable (${err.message})`));
  });
}

const reasons = Object.fromEntries(await Promise.all((['nats', 'amqp', 'mqtt'] as const).map(async (kind) => [kind, await brokerUnavailable(kind)] as const))) as Record<BrokerKind, string | undefined>;

/** A describe() for tests that need a broker: skipped loudly where there is none, failing where brokers are required. */
export function describeBroker(kind: BrokerKind, name: string, body: () => void): void {
  const reason = reasons[kind];
  if (reason === undefined) {
    describe(name, body);
    return;
  }
  if (process.env.BATON_REQUIRE_BROKERS || process.env.BATON_REQUIRE_POSTGRES) {
    describe(name, () => {
      it(`needs ${kind} (BATON_REQUIRE_BROKERS or BATON_REQUIRE_POSTGRES is set)`, () => {
        throw new Error(`${reason}: start it (${HOW_TO_START[kind]})`);
      });
    });
    return;
  }
  process.stderr.write(`\n*** SKIPPED: ${name}: ${reason}. Start it (${HOW_TO_START[kind]}) to run these tests. ***\n\n`);
  describe.skip(name, body);
}

/** A name no other test (or earlier run) uses: for subjects, queues, topics, streams, consumers. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/**
 * Removes what tests made on the brokers, so runs do not pile them up: JetStream streams
 * (with their consumers), AMQP queues, and MQTT sessions (a clean connect with the client id ends one).
 */
export async function removeTestThings(made: { streams?: string[]; queues?: string[]; clients?: string[] }): Promise<void> {
  if (made.streams?.length && reasons.nats === undefined) {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const url = new URL(BROKER_TEST_URLS.nats);
    const nc = await connect({ servers: `${url.hostname}:${url.port || '4222'}` });
    const jsm = await jetstreamManager(nc);
    for (const stream of made.streams) await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
  if (made.queues?.length && reasons.amqp === undefined) {
    const amqp = await import('amqplib');
    const connection = await amqp.connect(BROKER_TEST_URLS.amqp);
    const channel = await connection.createChannel();
    for (const queue of made.queues) await channel.deleteQueue(queue).catch(() => undefined);
    await connection.close();
  }
  if (made.clients?.length && reasons.mqtt === undefined) {
    const mqtt = await import('mqtt');
    for (const clientId of made.clients) {
      const client = await mqtt.connectAsync(BROKER_TEST_URLS.mqtt, { clientId, clean: true, protocolVersion: 5, reconnectPeriod: 0 });
      await client.endAsync();
    }
  }
}
