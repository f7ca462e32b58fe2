/**
 * The broker clients baton speaks (docs/executors.md#publish, docs/server.md#messages):
 * `publish` sends one message and resolves once the broker confirmed it; `keepSubscribed`
 * holds a durable subscription open, connecting again after a back-off whenever the broker
 * goes away, until stopped. Each broker's client library loads on first use, so a
 * workflow that names no broker never loads one.
 */
import { parseBrokerUrl, type BrokerKind } from './broker-url.js';
import { BrokerError } from './errors.js';
import type { OpenSession, Outgoing, Receipt, Session, SubscribeHandlers, SubscribeTo } from './types.js';

export { brokerKindOf, redactUrl, BROKER_SCHEMES, type BrokerKind } from './broker-url.js';
export { BrokerError } from './errors.js';
export type { Incoming, Outgoing, Receipt, SubscribeTo, SubscriptionState } from './types.js';

export async function publish(message: Outgoing): Promise<Receipt> {
  const { kind } = parseBrokerUrl(message.url, 'publish');
  if (kind === 'nats') return (await import('./nats.js')).publishNats(message);
  if (kind === 'amqp') return (await import('./amqp.js')).publishAmqp(message);
  return (await import('./mqtt.js')).publishMqtt(message);
}

async function openerOf(kind: BrokerKind): Promise<(to: SubscribeTo, handlers: SubscribeHandlers) => Promise<Session>> {
  if (kind === 'nats') return (await import('./nats.js')).openNats;
  if (kind === 'amqp') return (await import('./amqp.js')).openAmqp;
  return (await import('./mqtt.js')).openMqtt;
}

export interface KeepOptions {
  /** The first wait before connecting again; doubled each time it fails, up to maxDelayMs. Default 1 s. */
  minDelayMs?: number;
  /** Default 30 s. */
  maxDelayMs?: number;
}

export interface Kept {
  /** Closes the connection (messages being handled are not acked: the broker delivers them again) and stops connecting. */
  stop(): Promise<void>;
}

/**
 * Subscribes and stays subscribed: a connection that fails, or ends (the broker went away,
 * a handler rejected), is made again after a back-off that doubles up to `maxDelayMs` and
 * starts over once a connection holds. Every change is told to `handlers.onState`; nothing
 * here throws.
 */
export function keepSubscribed(to: SubscribeTo, handlers: SubscribeHandlers, options: KeepOptions = {}): Kept {
  const min = options.minDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  let stopped = false;
  let session: Session | undefined;
  let wake: (() => void) | undefined;
  const loop = async (open: OpenSession) => {
    let delay = min;
    while (!stopped) {
      let why: unknown;
      try {
        session = await open(handlers);
        if (stopped) break;
        handlers.onState({ connected: true });
        delay = min;
        why = await session.ended.catch((err: unknown) => err);
      } catch (err) {
        why = err;
      }
      await session?.close().catch(() => undefined);
      session = undefined;
      if (stopped) break;
      const error = why instanceof BrokerError ? why : new BrokerError('BROKER_UNREACHABLE', why instanceof Error ? why.message : 'the connection closed', { retryable: true, cause: why });
      handlers.onState({ connected: false, problem: error.message, code: error.code, retry_at: Date.now() + delay });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      delay = Math.min(delay * 2, max);
    }
    await session?.close().catch(() => undefined);
  };
  let running: Promise<void> = Promise.resolve();
  try {
    const { kind } = parseBrokerUrl(to.url, 'subscribe');
    running = openerOf(kind).then((open) => loop((h) => open(to, h)));
  } catch (err) {
    const error = err as BrokerError;
    handlers.onState({ connected: false, problem: error.message, code: error.code });
  }
  return {
    async stop() {
      stopped = true;
      wake?.();
      await session?.close().catch(() => undefined);
      await running.catch(() => undefined);
    },
  };
}
