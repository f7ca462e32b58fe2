/**
 * The broker clients against the machine's real brokers: a message published (and
 * confirmed) arrives through a durable subscription with its body, headers and id; one not
 * acknowledged comes again after the subscription is made anew; what a broker refuses
 * fails with a code that says so.
 */
import { afterAll, afterEach, expect, it } from 'vitest';
import { keepSubscribed, publish, type Incoming, type Kept, type Outgoing, type SubscribeTo } from './index.js';
import { redactUrl } from './broker-url.js';
import { BROKER_TEST_URLS, describeBroker, removeTestThings, uniqueName } from './test-brokers.js';

const kept: Kept[] = [];
afterEach(async () => {
  for (const k of kept.splice(0)) await k.stop();
});
const made = { streams: [] as string[], queues: [] as string[], clients: [] as string[] };
afterAll(() => removeTestThings(made));

/** Subscribes; resolves once connected, and collects what arrives (acked when `accept` says so). */
async function subscribe(to: SubscribeTo, accept: (m: Incoming) => boolean = () => true): Promise<{ got: Incoming[]; kept: Kept }> {
  const got: Incoming[] = [];
  let connected: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const k = keepSubscribed(
    to,
    {
      onMessage: async (m) => {
        got.push(m);
        if (!accept(m)) throw new Error('not this time');
      },
      onState: (state) => (state.connected ? connected() : undefined),
    },
    { minDelayMs: 100, maxDelayMs: 200 },
  );
  kept.push(k);
  await ready;
  return { got, kept: k };
}

async function until<T>(what: string, get: () => T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = get();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${what}`);
}

const message = (fields: Partial<Outgoing> & { url: string }): Outgoing => ({ body: Buffer.from('{"order":42}'), content_type: 'application/json', headers: { 'x-kind': 'order' }, message_id: uniqueName('m'), ...fields });

it('redacts passwords and tokens in broker URLs', () => {
  expect(redactUrl('amqp://guest:s3cret@127.0.0.1:5672/vh')).toBe('amqp://guest:***@127.0.0.1:5672/vh');
  expect(redactUrl('nats://tok3n@127.0.0.1:4222')).toBe('nats://***@127.0.0.1:4222');
  expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
  expect(redactUrl('not a url //user:pw@x')).toBe('not a url //***@x');
});

describeBroker('nats', 'NATS JetStream', () => {
  const url = BROKER_TEST_URLS.nats;

  it('publishes to a stream (acked with its sequence, a second publish of one id dropped) and delivers through a durable consumer', async () => {
    const subject = uniqueName('baton.test');
    const stream = uniqueName('BATON_TEST');
    made.streams.push(stream);
    const { got } = await subscribe({ url, subject, stream, consumer: uniqueName('c') });
    const out = message({ url, subject });
    const receipt = await publish(out);
    expect(receipt).toMatchObject({ broker: 'nats', stream, sequence: 1, duplicate: false, message_id: out.message_id });
    expect(await publish(out)).toMatchObject({ sequence: 1, duplicate: true });
    const m = await until('message', () => got[0]);
    expect(m).toMatchObject({ broker: 'nats', subject, stream, sequence: 1, message_id: out.message_id, redelivered: false, content_type: 'application/json', headers: { 'x-kind': 'order' } });
    expect(m.body.toString()).toBe('{"order":42}');
    expect(m.delivery).toMatch(new RegExp(`^nats:${stream}@.+:1$`));
  });

  it('a message not acked comes again, with the same delivery', async () => {
    const subject = uniqueName('baton.test');
    const stream = uniqueName('BATON_TEST');
    made.streams.push(stream);
    let first = true;
    const { got } = await subscribe({ url, subject, stream, consumer: uniqueName('c') }, () => (first ? ((first = false), false) : true));
    await publish(message({ url, subject }));
    const again = await until('redelivery', () => got[1]);
    expect(again.redelivered).toBe(true);
    expect(again.delivery).toBe(got[0].delivery);
  }, 30_000);

  it('a subject no stream captures is refused', async () => {
    await expect(publish(message({ url, subject: uniqueName('nobody.listens') }))).rejects.toMatchObject({ code: 'BROKER_REFUSED', retryable: false });
  });
});

describeBroker('amqp', 'RabbitMQ (AMQP 0-9-1)', () => {
  const url = BROKER_TEST_URLS.amqp;

  it('publishes with a confirm and delivers from a durable queue with its message id; unacked comes again', async () => {
    const queue = uniqueName('baton-test');
    made.queues.push(queue);
    let first = true;
    const { got } = await subscribe({ url, queue, consumer: queue }, () => (first ? ((first = false), false) : true));
    const out = message({ url, routing_key: queue });
    expect(await publish(out)).toEqual({ broker: 'amqp', message_id: out.message_id });
    const m = await until('message', () => got[0]);
    expect(m).toMatchObject({ broker: 'amqp', queue, exchange: '', routing_key: queue, message_id: out.message_id, delivery: `amqp:${queue}:${out.message_id}`, redelivered: false, headers: { 'x-kind': 'order' } });
    const again = await until('redelivery', () => got[1]);
    expect(again).toMatchObject({ redelivered: true, delivery: m.delivery });
  });

  it('binds the queue to an exchange; a message no queue takes, or to an exchange there is not, is refused', async () => {
    const queue = uniqueName('baton-test');
    made.queues.push(queue);
    const { got } = await subscribe({ url, queue, exchange: 'amq.topic', routing_key: `${queue}.#`, consumer: queue });
    await publish(message({ url, exchange: 'amq.topic', routing_key: `${queue}.created` }));
    expect(await until('message', () => got[0])).toMatchObject({ exchange: 'amq.topic', routing_key: `${queue}.created` });
    await expect(publish(message({ url, routing_key: uniqueName('no-such-queue') }))).rejects.toMatchObject({ code: 'BROKER_REFUSED', message: expect.stringContaining('no queue is bound') });
    await expect(publish(message({ url, exchange: uniqueName('no-such-exchange'), routing_key: 'x' }))).rejects.toMatchObject({ code: 'BROKER_REFUSED' });
  });

  it('wrong credentials are BROKER_AUTH, and the password is not in the message', async () => {
    const bad = url.replace('guest:guest', 'guest:wrong-pass');
    const err = (await publish(message({ url: bad, routing_key: 'x' })).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('BROKER_AUTH');
    expect(err.message).not.toContain('wrong-pass');
  });
});

describeBroker('mqtt', 'MQTT (Mosquitto)', () => {
  const url = BROKER_TEST_URLS.mqtt;

  it('publishes with QoS 1 and delivers through a persistent session, with the message id as a user property', async () => {
    const topic = `${uniqueName('baton-test')}/orders`;
    const consumer = uniqueName('baton-test-client');
    made.clients.push(consumer);
    const { got } = await subscribe({ url, topic, consumer });
    const out = message({ url, topic });
    expect(await publish(out)).toEqual({ broker: 'mqtt', message_id: out.message_id });
    const m = await until('message', () => got[0]);
    expect(m).toMatchObject({ broker: 'mqtt', topic, message_id: out.message_id, delivery: `mqtt:${topic}:${out.message_id}`, content_type: 'application/json', headers: { 'x-kind': 'order' } });
  });

  it('a message not acknowledged is sent again when the session connects again; one sent while away is kept for it', async () => {
    const topic = `${uniqueName('baton-test')}/orders`;
    const consumer = uniqueName('baton-test-client');
    made.clients.push(consumer);
    let first = true;
    const { got, kept: k } = await subscribe({ url, topic, consumer }, () => (first ? ((first = false), false) : true));
    const out = message({ url, topic });
    await publish(out);
    const again = await until('redelivery', () => got[1]);
    expect(again).toMatchObject({ redelivered: true, message_id: out.message_id });
    await k.stop();
    const away = message({ url, topic });
    await publish(away);
    const back = await subscribe({ url, topic, consumer });
    expect(await until('kept message', () => back.got[0])).toMatchObject({ message_id: away.message_id });
  });
});
