/**
 * MQTT 5 with mqtt.js, loaded on first use. A publish is QoS 1 by default and succeeds
 * once the broker's PUBACK (QoS 1) or PUBCOMP (QoS 2) says it took the message (a reason
 * code of 0x80 or more is a refusal); QoS 0 is sent and not confirmed. The message id
 * goes as the user property `message-id`, which MQTT has no field of its own for.
 *
 * A subscription is a persistent session: a fixed client id, `clean: false` and a
 * session expiry, subscribed with QoS 1, so the broker keeps the messages that come
 * while baton is away and delivers again, with DUP set, any it sent that were not
 * acknowledged. The PUBACK goes once the handler resolved (mqtt.js sends it when
 * `handleMessage` calls back), one message at a time.
 */
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';
import { parseBrokerUrl, redactUrl } from './broker-url.js';
import { BrokerError, networkReason } from './errors.js';
import type { Incoming, Outgoing, Receipt, Session, SubscribeHandlers, SubscribeTo } from './types.js';

const CONNECT_TIMEOUT_MS = 10_000;
/** How long the broker keeps a subscription's session (and its messages) while baton is away: 30 days. */
const SESSION_EXPIRY_S = 30 * 24 * 3600;
/** The user property that carries a message's id. */
export const MESSAGE_ID_PROPERTY = 'message-id';

/** A connected client; `prepare` runs before any packet is read (a session's messages can come at once). */
async function connectTo(rawUrl: string, options: IClientOptions, prepare?: (client: MqttClient) => void): Promise<MqttClient> {
  parseBrokerUrl(rawUrl, 'mqtt');
  const mqtt = await import('mqtt');
  const client = mqtt.connect(rawUrl.trim(), { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: CONNECT_TIMEOUT_MS, ...options });
  prepare?.(client);
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error('the connection closed before the broker accepted it')));
    });
  } catch (err) {
    client.end(true);
    throw mqttError(err, `connecting to ${redactUrl(rawUrl)}`);
  }
  client.on('error', () => undefined);
  return client;
}

export async function publishMqtt(message: Outgoing): Promise<Receipt> {
  const topic = message.topic ?? '';
  const where = `publishing to ${topic} on ${redactUrl(message.url)}`;
  const client = await connectTo(message.url, { clean: true });
  try {
    const qos = message.qos ?? 1;
    const publishing = client.publishAsync(topic, message.body, {
      qos,
      retain: message.retain ?? false,
      properties: { userProperties: { ...message.headers, [MESSAGE_ID_PROPERTY]: message.message_id }, ...(message.content_type !== undefined ? { contentType: message.content_type } : {}) },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BrokerError('BROKER_UNCONFIRMED', `${where}: the broker did not acknowledge the message within ${message.timeout_ms ?? 10_000} ms`, { retryable: true })), message.timeout_ms ?? 10_000);
    });
    let ack: Awaited<typeof publishing>;
    try {
      ack = await Promise.race([publishing, timeout]);
    } catch (err) {
      throw mqttError(err, where);
    } finally {
      clearTimeout(timer);
    }
    const reason = (ack as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
    if (reason >= 0x80) throw new BrokerError('BROKER_REFUSED', `${where}: the broker refused it (reason code 0x${reason.toString(16)}): check that this client may publish to the topic`, { retryable: false, details: { reason_code: reason } });
    return { broker: 'mqtt', message_id: message.message_id };
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

export async function openMqtt(to: SubscribeTo, handlers: SubscribeHandlers): Promise<Session> {
  const topic = to.topic ?? '';
  let closed: (err: unknown) => void = () => undefined;
  const ended = new Promise<unknown>((resolve) => (closed = resolve));
  const client = await connectTo(to.url, { clientId: to.consumer, clean: false, properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: to.prefetch ?? 16 } }, (c) => {
    c.handleMessage = (packet, callback) => {
      handlers.onMessage(incoming(packet)).then(
        () => callback(),
        // Not acknowledged: the session keeps it, and the broker sends it again when baton connects again.
        () => c.end(true),
      );
    };
    c.on('close', () => closed(new BrokerError('BROKER_UNREACHABLE', `the connection to ${redactUrl(to.url)} closed`, { retryable: true })));
  });
  try {
    const grants = await client.subscribeAsync(topic, { qos: 1 });
    const refused = grants.find((g) => g.qos >= 0x80);
    if (refused) throw new BrokerError('BROKER_REFUSED', `subscribing to ${topic} on ${redactUrl(to.url)}: the broker refused it (reason code 0x${refused.qos.toString(16)}): check the topic filter and that this client may read it`, { retryable: false });
  } catch (err) {
    client.end(true);
    throw mqttError(err, `subscribing to ${topic} on ${redactUrl(to.url)}`);
  }
  return { ended, close: () => client.endAsync().catch(() => undefined) };
}

function incoming(packet: IPublishPacket): Incoming {
  const props = packet.properties ?? {};
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(props.userProperties ?? {})) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  const id = headers[MESSAGE_ID_PROPERTY] || undefined;
  const body = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
  return {
    broker: 'mqtt',
    topic: packet.topic,
    body,
    headers,
    ...(props.contentType !== undefined ? { content_type: props.contentType } : {}),
    ...(id !== undefined ? { message_id: id, delivery: `mqtt:${packet.topic}:${id}` } : {}),
    redelivered: packet.dup,
  };
}

function mqttError(err: unknown, what: string): BrokerError {
  if (err instanceof BrokerError) return err;
  const reason = networkReason(err);
  const code = (err as { code?: unknown }).code;
  // CONNACK 0x86 bad user name or password, 0x87 not authorized (and MQTT 3's 4 and 5).
  if (code === 0x86 || code === 0x87 || code === 4 || code === 5 || /not authori[sz]ed|bad user ?name or password/i.test(reason)) {
    return new BrokerError('BROKER_AUTH', `${what}: the broker refused the credentials (${reason}): check the user and password in the URL`, { retryable: false, cause: err });
  }
  if (/unsupported protocol|protocol version/i.test(reason)) return new BrokerError('BROKER_REFUSED', `${what}: ${reason}: baton speaks MQTT 5, which this broker may not`, { retryable: false, cause: err });
  return new BrokerError('BROKER_UNREACHABLE', `${what}: ${reason}`, { retryable: true, cause: err });
}
