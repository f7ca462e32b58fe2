/**
 * `message` triggers, before any run: where a trigger subscribes (its broker URL read
 * over the server's environment, its destination, its consumer name), and what a received
 * message becomes: `trigger.message` for the run (the body parsed as its `format` says,
 * the headers, where it came from, the broker's ids) and the delivery that makes a
 * redelivery the same firing. A message that cannot be read as the trigger asks (not
 * JSON under `format: json`, too large) is a refusal, recorded and acknowledged, never
 * handed back to the broker to come again forever. Pure but for the hash.
 */
import { createHash } from 'node:crypto';
import { renderTemplate } from '../expr/index.js';
import { parseJson } from '../expr/safe-json.js';
import { brokerKindOf, type BrokerKind } from '../spec/broker-kind.js';
import type { Trigger } from '../spec/model.js';
import type { RunTrigger, TriggerMessage } from '../store/events.js';
import type { Incoming, SubscribeTo } from '../brokers/types.js';

/** The largest body a message trigger takes, as for webhooks. */
export const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

export type Reading = { data: RunTrigger; delivery?: string; source: string } | { refused: { code: string; reason: string }; delivery?: string; source: string };

/**
 * Where the trigger of `workflow` (in `namespace`) subscribes: its URL rendered over
 * `env`, and its consumer (a NATS durable, an MQTT client id) named by the file or made
 * from the namespace, the workflow and the destination, so it is the same at every start
 * of the server and differs between triggers.
 */
export function subscriptionOf(trigger: Trigger, namespace: string, workflow: string, env: Record<string, string | undefined>): SubscribeTo & { kind?: BrokerKind } {
  const c = trigger.config;
  const rendered = c.url === undefined ? '' : c.url.includes('${') ? renderTemplate(c.url, { contexts: { env } }) : c.url;
  const url = typeof rendered === 'string' ? rendered : String(rendered ?? '');
  const where = c.subject ?? c.queue ?? c.topic ?? '';
  const digest = createHash('sha256').update(`${namespace}\0${workflow}\0${where}\0${c.stream ?? ''}\0${c.exchange ?? ''}`).digest('hex').slice(0, 10);
  const slug = workflow.replace(/[^A-Za-z0-9_-]+/g, '-').slice(0, 40);
  const kind = brokerKindOf(url);
  return {
    url,
    ...(kind !== undefined ? { kind } : {}),
    ...(c.subject !== undefined ? { subject: c.subject } : {}),
    ...(c.stream !== undefined ? { stream: c.stream } : {}),
    ...(c.queue !== undefined ? { queue: c.queue } : {}),
    ...(c.exchange !== undefined ? { exchange: c.exchange } : {}),
    ...(c.routing_key !== undefined ? { routing_key: c.routing_key } : {}),
    ...(c.topic !== undefined ? { topic: c.topic } : {}),
    consumer: c.consumer ?? `baton-${slug}-${digest}`,
    ...(c.prefetch !== undefined ? { prefetch: c.prefetch } : {}),
  };
}

/** What a received message is for the run it may start, or why it is refused. */
export function readMessage(trigger: Trigger, m: Incoming, at: Date): Reading {
  const source = m.subject ?? m.topic ?? m.queue ?? '';
  const delivery = m.delivery;
  const base = { source, ...(delivery !== undefined ? { delivery } : {}) };
  if (m.body.length > MAX_MESSAGE_BYTES) return { ...base, refused: { code: 'MESSAGE_TOO_LARGE', reason: `the message is ${m.body.length} bytes, more than a message trigger takes (${MAX_MESSAGE_BYTES}): send a reference to the data instead` } };
  const format = trigger.config.format ?? 'auto';
  const text = m.body.toString('utf8');
  let body: unknown = text;
  const saysJson = m.content_type !== undefined && /\bjson\b/i.test(m.content_type);
  if (format === 'json' || (format === 'auto' && (saysJson || /^\s*[[{]/.test(text)))) {
    try {
      body = text.trim() === '' ? null : parseJson(text, 'the message body', { maxLength: MAX_MESSAGE_BYTES });
    } catch (err) {
      if (format === 'json' || saysJson) return { ...base, refused: { code: 'MESSAGE_BODY', reason: `the message body is not JSON${format === 'json' ? ' (the trigger has format: json)' : ', as its content type says'}: ${(err as Error).message}` } };
      body = text;
    }
  }
  const message: TriggerMessage = {
    broker: m.broker,
    ...(m.subject !== undefined ? { subject: m.subject } : {}),
    ...(m.stream !== undefined ? { stream: m.stream } : {}),
    ...(m.sequence !== undefined ? { sequence: m.sequence } : {}),
    ...(m.queue !== undefined ? { queue: m.queue } : {}),
    ...(m.exchange !== undefined ? { exchange: m.exchange } : {}),
    ...(m.routing_key !== undefined ? { routing_key: m.routing_key } : {}),
    ...(m.topic !== undefined ? { topic: m.topic } : {}),
    body,
    headers: m.headers,
    ...(m.message_id !== undefined ? { id: m.message_id } : {}),
    redelivered: m.redelivered,
  };
  return { ...base, data: { type: 'message', at: at.toISOString(), message, ...(delivery !== undefined ? { delivery } : {}) } };
}
