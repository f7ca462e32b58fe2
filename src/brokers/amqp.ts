/**
 * AMQP 0-9-1 (RabbitMQ) with amqplib, loaded on first use. A publish goes over a confirm
 * channel and is `mandatory`: it succeeds once the broker confirmed it and routed it to
 * at least one queue (a message no queue takes comes back, and the publish fails rather
 * than being dropped in silence). Messages are persistent unless asked otherwise.
 *
 * A subscription consumes a queue (declared durable when missing; bound to `exchange`
 * with `routing_key` when one is named) with manual acks and a prefetch: a message is
 * acked once its handler resolved, and one not acked when the connection ends is put back
 * in the queue by the broker and delivered again (with its redelivered flag).
 */
import type { ChannelModel, ConsumeMessage } from 'amqplib';
import { parseBrokerUrl, redactUrl } from './broker-url.js';
import { BrokerError, networkReason } from './errors.js';
import type { Incoming, Outgoing, Receipt, Session, SubscribeHandlers, SubscribeTo } from './types.js';

const CONNECT_TIMEOUT_MS = 10_000;

async function connectTo(rawUrl: string, name: string): Promise<ChannelModel> {
  parseBrokerUrl(rawUrl, name);
  const amqp = await import('amqplib');
  try {
    return await amqp.connect(rawUrl.trim(), { timeout: CONNECT_TIMEOUT_MS, clientProperties: { connection_name: name } });
  } catch (err) {
    throw amqpError(err, `connecting to ${redactUrl(rawUrl)}`);
  }
}

export async function publishAmqp(message: Outgoing): Promise<Receipt> {
  const exchange = message.exchange ?? '';
  const routingKey = message.routing_key ?? '';
  const where = `publishing to ${exchange === '' ? `the queue ${routingKey}` : `exchange ${exchange} with routing key ${routingKey}`} on ${redactUrl(message.url)}`;
  const connection = await connectTo(message.url, 'baton publish');
  // A channel error (no such exchange) closes the channel and arrives here as well as at the confirm.
  let channelError: unknown;
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', (err: unknown) => (channelError = err));
    let returned = false;
    channel.on('return', () => (returned = true));
    const confirmed = new Promise<void>((resolve, reject) => {
      channel.publish(
        exchange,
        routingKey,
        message.body,
        {
          mandatory: true,
          persistent: message.persistent ?? true,
          messageId: message.message_id,
          headers: message.headers,
          ...(message.content_type !== undefined ? { contentType: message.content_type } : {}),
          timestamp: Math.floor(Date.now() / 1000),
        },
        (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('the broker did not take the message (nack)')) : resolve()),
      );
    });
    await withTimeout(confirmed, message.timeout_ms ?? 10_000, where);
    // A returned message comes before its confirm: by now it is known.
    if (returned) throw new BrokerError('BROKER_REFUSED', `${where}: no queue is bound for it, so the broker returned it: declare the queue (or bind one to the exchange) first`, { retryable: false });
    await channel.close().catch(() => undefined);
    return { broker: 'amqp', message_id: message.message_id };
  } catch (err) {
    throw amqpError(channelError ?? err, where);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export async function openAmqp(to: SubscribeTo, handlers: SubscribeHandlers): Promise<Session> {
  const queue = to.queue ?? '';
  const connection = await connectTo(to.url, `baton trigger ${to.consumer}`);
  const ended = new Promise<unknown>((resolve) => {
    connection.on('close', (err?: Error) => resolve(err ? amqpError(err, `the connection to ${redactUrl(to.url)}`) : undefined));
    connection.on('error', () => undefined);
  });
  try {
    await declareQueue(connection, to, queue);
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    await channel.prefetch(to.prefetch ?? 16);
    // One message at a time, in order: the next waits for the one before to be acked.
    let chain: Promise<void> = Promise.resolve();
    await channel.consume(
      queue,
      (m: ConsumeMessage | null) => {
        // null: the broker cancelled the consumer (the queue was deleted).
        if (m === null) return void connection.close().catch(() => undefined);
        chain = chain.then(async () => {
          try {
            await handlers.onMessage(incoming(m, queue));
            channel.ack(m);
          } catch {
            // Not acked: closing the connection gives it (and what came after it) back to the queue.
            await connection.close().catch(() => undefined);
          }
        });
      },
      { noAck: false },
    );
  } catch (err) {
    await connection.close().catch(() => undefined);
    throw amqpError(err, `subscribing to the queue ${queue} on ${redactUrl(to.url)}`);
  }
  return { ended, close: () => connection.close().catch(() => undefined) };
}

/** The queue, declared durable unless it exists (as it is, whatever its arguments); bound to the exchange when one is named. */
async function declareQueue(connection: ChannelModel, to: SubscribeTo, queue: string): Promise<void> {
  // checkQueue on a queue that is not there closes its channel: a channel of its own.
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  let exists = true;
  await probe.checkQueue(queue).then(
    () => probe.close(),
    () => (exists = false),
  );
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  if (!exists) await channel.assertQueue(queue, { durable: true });
  if (to.exchange !== undefined && to.exchange !== '') await channel.bindQueue(queue, to.exchange, to.routing_key ?? '#');
  await channel.close();
}

function incoming(m: ConsumeMessage, queue: string): Incoming {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(m.properties.headers ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name] = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  const id = typeof m.properties.messageId === 'string' && m.properties.messageId !== '' ? m.properties.messageId : undefined;
  return {
    broker: 'amqp',
    queue,
    exchange: m.fields.exchange,
    routing_key: m.fields.routingKey,
    body: m.content,
    headers,
    ...(typeof m.properties.contentType === 'string' ? { content_type: m.properties.contentType } : {}),
    ...(id !== undefined ? { message_id: id, delivery: `amqp:${queue}:${id}` } : {}),
    redelivered: m.fields.redelivered,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, where: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerError('BROKER_UNCONFIRMED', `${where}: the broker did not confirm the message within ${ms} ms`, { retryable: true })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function amqpError(err: unknown, what: string): BrokerError {
  if (err instanceof BrokerError) return err;
  const reason = networkReason(err);
  const code = (err as { code?: unknown }).code;
  if (code === 403 || /ACCESS_REFUSED|403/.test(reason)) {
    return new BrokerError('BROKER_AUTH', `${what}: the broker refused the credentials or the access (${reason}): check the user, password and virtual host in the URL`, { retryable: false, cause: err });
  }
  if (code === 404 || code === 406 || /NOT_FOUND|PRECONDITION_FAILED|404|406/.test(reason)) return new BrokerError('BROKER_REFUSED', `${what}: ${reason}`, { retryable: false, cause: err });
  if (/nack|did not take/i.test(reason)) return new BrokerError('BROKER_UNCONFIRMED', `${what}: ${reason}`, { retryable: true, cause: err });
  return new BrokerError('BROKER_UNREACHABLE', `${what}: ${reason}`, { retryable: true, cause: err });
}
