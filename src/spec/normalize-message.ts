/**
 * The config of a `message` trigger (docs/server.md#messages): the broker's URL, written
 * as is or as a template over `env` (`${ env.BROKER_URL }`, read by `baton serve` from its
 * environment), and where the messages come from in that broker's words: a NATS `subject`
 * (and `stream`), an AMQP `queue` (bound to an `exchange` with a `routing_key` when one is
 * named), an MQTT `topic` filter. Which broker a templated URL names is known only when
 * the server reads it; then the fields are checked again (server/messages.ts).
 */
import { inspectTemplate } from '../expr/index.js';
import { BROKER_SCHEMES, brokerKindOf, DESTINATION_FIELDS, type BrokerKind } from './broker-kind.js';
import type { Reporter } from './diagnostics.js';
import type { Trigger } from './model.js';
import { has, num, str, type RawMap } from './raw.js';

export const MESSAGE_FORMATS = ['auto', 'json', 'text'] as const;
/** A consumer name that NATS (durable names), MQTT (client ids) and AMQP (consumer tags) all take. */
export const CONSUMER_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const NAMES: Readonly<Record<BrokerKind, string>> = { nats: 'NATS', amqp: 'AMQP', mqtt: 'MQTT' };
const NEEDS: Readonly<Record<BrokerKind, string>> = { nats: 'subject', amqp: 'queue', mqtt: 'topic' };

/** Reads the message fields of `config` into `out.config`; `required` says what a message trigger cannot go without. */
export function messageConfigOf(config: RawMap, out: Trigger, rep: Reporter): void {
  const at = (key: string) => rep.value(config, key);
  const url = str(config, 'url');
  if (url !== undefined) {
    out.config.url = url;
    const seen = inspectTemplate(url, new Set(['env']));
    for (const p of seen.problems) rep.error('SPEC_EXPR_SYNTAX', p.message, rep.index.charLoc(config, 'url', p.col - 1), p.hint);
    for (const read of seen.reads) {
      if (read.name.toLowerCase() === 'env') continue;
      rep.error('SPEC_CONTEXT_UNAVAILABLE', `a message trigger's url can read only \`env\` (the server's environment), not \`${read.name}\``, rep.index.charLoc(config, 'url', read.at), 'e.g. url: "${ env.BROKER_URL }"');
    }
    if (!url.includes('${') && brokerKindOf(url) === undefined) rep.error('SPEC_INVALID_VALUE', `'${url.replace(/\/\/[^/@]*@/, '//***@')}' is not a broker URL`, at('url'), `start it with ${BROKER_SCHEMES}`);
  }
  for (const key of ['subject', 'stream', 'queue', 'exchange', 'routing_key', 'topic', 'consumer'] as const) {
    const value = str(config, key);
    if (value !== undefined) out.config[key] = value;
  }
  const consumer = out.config.consumer;
  if (consumer !== undefined && !CONSUMER_NAME.test(consumer)) rep.error('SPEC_INVALID_VALUE', `'${consumer}' is not a consumer name: 1-64 letters, digits, _ and -`, at('consumer'), 'e.g. consumer: deploy-orders');
  const topic = out.config.topic;
  if (topic !== undefined && !topicFilterOk(topic)) rep.error('SPEC_INVALID_VALUE', `'${topic}' is not an MQTT topic filter: + stands for one whole level, # for the rest and only at the end`, at('topic'), 'e.g. sensors/+/alarm or sensors/#');
  const format = str(config, 'format');
  if (format !== undefined && (MESSAGE_FORMATS as readonly string[]).includes(format)) out.config.format = format as (typeof MESSAGE_FORMATS)[number];
  const prefetch = num(config, 'prefetch');
  if (prefetch !== undefined && Number.isInteger(prefetch) && prefetch > 0) out.config.prefetch = prefetch;
}

/** What a message trigger cannot go without, and no field of another broker than its URL names. */
export function requiredMessageFields(out: Trigger, trigger: RawMap, config: RawMap, rep: Reporter): void {
  const url = out.config.url;
  if (url === undefined) {
    rep.error('SPEC_MISSING_FIELD', 'a message trigger needs `config.url` (the broker)', rep.value(trigger), `e.g. config: { url: "\${ env.BROKER_URL }", subject: orders.created }; schemes: ${BROKER_SCHEMES}`);
    return;
  }
  const kind = brokerKindOf(url) ?? kindOfFields(config);
  if (kind === undefined) {
    rep.error('SPEC_MISSING_FIELD', 'a message trigger needs where its messages come from', rep.value(trigger), 'NATS: subject (and stream); AMQP: queue (and exchange, routing_key); MQTT: topic');
    return;
  }
  for (const other of Object.keys(DESTINATION_FIELDS) as BrokerKind[]) {
    if (other === kind) continue;
    for (const key of DESTINATION_FIELDS[other]) {
      if (has(config, key)) rep.error('SPEC_FIELD_NOT_ALLOWED', `\`${key}\` is for ${NAMES[other]}, and this trigger reads from ${NAMES[kind]}`, rep.key(config, key), `${NAMES[kind]} takes ${DESTINATION_FIELDS[kind].join(', ')}`);
    }
  }
  if (!has(config, NEEDS[kind])) rep.error('SPEC_MISSING_FIELD', `a message trigger on ${NAMES[kind]} needs \`config.${NEEDS[kind]}\``, rep.value(trigger), { nats: 'e.g. subject: orders.created, stream: ORDERS', amqp: 'e.g. queue: deploy-requests', mqtt: 'e.g. topic: sensors/+/alarm' }[kind]);
}

/** The message fields of a config when its URL is a template: its destination fields say which broker. */
export function kindOfFields(config: Readonly<Record<string, unknown>>): BrokerKind | undefined {
  return (Object.keys(DESTINATION_FIELDS) as BrokerKind[]).find((kind) => DESTINATION_FIELDS[kind].some((key) => config[key] !== undefined));
}

function topicFilterOk(topic: string): boolean {
  if (topic === '') return false;
  const levels = topic.split('/');
  return levels.every((level, i) => (level.includes('#') ? level === '#' && i === levels.length - 1 : !level.includes('+') || level === '+'));
}
