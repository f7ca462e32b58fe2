/**
 * NATS with JetStream (@nats-io/transport-node and @nats-io/jetstream, loaded on first
 * use). A publish is a JetStream publish: it succeeds once a stream has stored the
 * message and said so (its PubAck, with the stream and sequence), and its message id is
 * the Nats-Msg-Id, so the stream drops a second publish of it within its duplicate
 * window (two minutes by default): a publish task that is tried again after a crash does
 * not store its message twice.
 *
 * A subscription is a durable pull consumer with explicit acks, filtered on the subject:
 * the server keeps where it got to, and a message not acked (the process died) is
 * delivered again after the ack wait. Made by baton, a consumer starts with the messages
 * published after it is made; one made beforehand (`nats consumer add`) is used as it is.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { parseBrokerUrl, redactUrl } from './broker-url.js';
import { BrokerError, networkReason } from './errors.js';
import type { Incoming, Outgoing, Receipt, Session, SubscribeHandlers, SubscribeTo } from './types.js';

const CONNECT_TIMEOUT_MS = 10_000;
/**
 * How long JetStream waits for an ack before delivering a message again: what a message
 * received by a process that then died waits to come back. While its handler runs,
 * `working()` tells the server every third of it that the message is still in hand.
 */
const ACK_WAIT_MS = 10_000;

async function connectTo(rawUrl: string, name: string): Promise<NatsConnection> {
  const { url } = parseBrokerUrl(rawUrl, name);
  const { connect } = await import('@nats-io/transport-node');
  // Credentials in the URL: user and password, or a lone user name as a token.
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  const auth = pass !== '' ? { user, pass } : user !== '' ? { token: user } : {};
  try {
    return await connect({ servers: `${url.hostname}:${url.port || '4222'}`, ...auth, name, timeout: CONNECT_TIMEOUT_MS, reconnect: false });
  } catch (err) {
    throw natsError(err, `connecting to ${redactUrl(rawUrl)}`);
  }
}

export async function publishNats(message: Outgoing): Promise<Receipt> {
  const subject = message.subject ?? '';
  const nc = await connectTo(message.url, 'baton publish');
  try {
    const { jetstream } = await import('@nats-io/jetstream');
    const { headers: makeHeaders } = await import('@nats-io/transport-node');
    const headers = makeHeaders();
    for (const [name, value] of Object.entries(message.headers)) headers.set(name, value);
    if (message.content_type !== undefined && !headers.has('Content-Type')) headers.set('Content-Type', message.content_type);
    const js = jetstream(nc, { timeout: message.timeout_ms ?? 10_000 });
    let ack;
    try {
      ack = await js.publish(subject, message.body, { msgID: message.message_id, headers, retries: 1 });
    } catch (err) {
      throw natsError(err, `publishing to ${subject} on ${redactUrl(message.url)}`, subject);
    }
    return { broker: 'nats', message_id: message.message_id, stream: ack.stream, sequence: ack.seq, duplicate: ack.duplicate };
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** A connection and its consumer, handing each message to `handlers.onMessage` and acking it once that resolves. */
export async function openNats(to: SubscribeTo, handlers: SubscribeHandlers): Promise<Session> {
  const subject = to.subject ?? '';
  const nc = await connectTo(to.url, `baton trigger ${to.consumer}`);
  try {
    const { jetstream, jetstreamManager, AckPolicy, DeliverPolicy } = await import('@nats-io/jetstream');
    const jsm = await jetstreamManager(nc);
    const { name: stream, created } = await streamFor(jsm, to, subject);
    try {
      await jsm.consumers.info(stream, to.consumer);
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConsumerNotFoundError') throw err;
      await jsm.consumers.add(stream, { durable_name: to.consumer, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New, filter_subject: subject, ack_wait: ACK_WAIT_MS * 1_000_000, max_ack_pending: Math.max(to.prefetch ?? 16, 1) });
    }
    const consumer = await jetstream(nc).consumers.get(stream, to.consumer);
    const messages = await consumer.consume({ max_messages: to.prefetch ?? 16 });
    const ended = (async () => {
      for await (const m of messages) {
        const headers: Record<string, string> = {};
        for (const [key, values] of m.headers ?? []) headers[key] = values.join(', ');
        const id = m.headers?.get('Nats-Msg-Id') || undefined;
        const incoming: Incoming = {
          broker: 'nats',
          subject: m.subject,
          body: Buffer.from(m.data),
          headers,
          ...(m.headers?.get('Content-Type') ? { content_type: m.headers.get('Content-Type') } : {}),
          ...(id !== undefined ? { message_id: id } : {}),
          stream,
          sequence: m.seq,
          redelivered: m.redelivered,
          // A stream deleted and made again numbers from 1 again: its creation time tells them apart.
          delivery: `nats:${stream}@${created}:${m.seq}`,
        };
        const inHand = setInterval(() => m.working(), ACK_WAIT_MS / 3);
        try {
          await handlers.onMessage(incoming);
        } catch (err) {
          // Given back at once rather than after the ack wait: the next connection gets it.
          m.nak();
          await nc.flush().catch(() => undefined);
          throw err;
        } finally {
          clearInterval(inHand);
        }
        await m.ackAck();
      }
    })();
    // The connection closing (server gone, close()) ends the consumer's loop too.
    const closed = nc.closed().then((err) => {
      messages.stop();
      if (err) throw natsError(err, `the connection to ${redactUrl(to.url)}`);
    });
    return {
      ended: Promise.race([ended, closed]),
      close: async () => {
        messages.stop();
        await nc.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw err instanceof BrokerError ? err : natsError(err, `subscribing to ${subject} on ${redactUrl(to.url)}`, subject);
  }
}

/** The stream named (made when missing, capturing the subject), or the one that captures the subject. */
async function streamFor(jsm: Awaited<ReturnType<typeof import('@nats-io/jetstream').jetstreamManager>>, to: SubscribeTo, subject: string): Promise<{ name: string; created: string }> {
  if (to.stream !== undefined) {
    try {
      const info = await jsm.streams.info(to.stream);
      return { name: to.stream, created: info.created };
    } catch (err) {
      if ((err as { name?: string }).name !== 'StreamNotFoundError') throw err;
      const info = await jsm.streams.add({ name: to.stream, subjects: [subject] });
      return { name: to.stream, created: info.created };
    }
  }
  let name: string;
  try {
    name = await jsm.streams.find(subject);
  } catch (err) {
    throw new BrokerError('BROKER_REFUSED', `no JetStream stream on ${redactUrl(to.url)} captures the subject ${subject}: name one with \`stream:\` (baton makes it when missing), or add one (nats stream add)`, { retryable: true, cause: err });
  }
  return { name, created: (await jsm.streams.info(name)).created };
}

function natsError(err: unknown, what: string, subject?: string): BrokerError {
  if (err instanceof BrokerError) return err;
  const name = (err as { name?: string }).name ?? '';
  const causeName = ((err as { cause?: { name?: string } }).cause?.name) ?? '';
  const reason = networkReason(err);
  if (name === 'NoRespondersError' || causeName === 'NoRespondersError' || /no responders/i.test(reason)) {
    return new BrokerError('BROKER_REFUSED', `${what}: no JetStream stream captures ${subject ?? 'the subject'} (or JetStream is not enabled): add a stream for it (nats stream add), or a message trigger with \`stream:\` makes one`, { retryable: false, cause: err });
  }
  if (name === 'AuthorizationError' || /authorization/i.test(reason)) return new BrokerError('BROKER_AUTH', `${what}: the server refused the credentials (${reason}): check the user and password (or token) in the URL`, { retryable: false, cause: err });
  if (name === 'PermissionViolationError' || name === 'JetStreamApiError' || name === 'StreamNotFoundError') return new BrokerError('BROKER_REFUSED', `${what}: ${reason}`, { retryable: false, cause: err });
  if (name === 'TimeoutError' || causeName === 'TimeoutError') return new BrokerError('BROKER_UNCONFIRMED', `${what}: no answer in time (${reason}): the server may be overloaded; tried again, the message id keeps it from being stored twice`, { retryable: true, cause: err });
  return new BrokerError('BROKER_UNREACHABLE', `${what}: ${reason}`, { retryable: true, cause: err });
}
