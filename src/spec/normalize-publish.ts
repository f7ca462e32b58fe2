/**
 * `type: publish`: one message to a broker (docs/executors.md#publish). What is checked
 * here, before anything runs: that the task names a broker URL and where the message goes
 * in that broker's words (a NATS `subject`; an AMQP `exchange` and/or `routing_key`; an
 * MQTT `topic`), and no field of another broker; a literal URL's scheme; MQTT's `qos`. A
 * URL from a template (`${ secrets.BROKER_URL }`) is checked for its kind when it runs.
 */
import { BROKER_SCHEMES, brokerKindOf, type BrokerKind } from './broker-kind.js';
import { checkUrlAt } from './exprs.js';
import type { PublishTask, TaskBase } from './model.js';
import { headersOf, missing, type LeafContext } from './normalize-leaf.js';
import { bool, has, num, str } from './raw.js';
import type { RawMap } from './raw.js';

/** The fields of a publish task (besides those of every task). */
export const PUBLISH_FIELDS = ['url', 'subject', 'exchange', 'routing_key', 'topic', 'body', 'headers', 'message_id', 'qos', 'retain', 'persistent'];

/** Each broker's own fields, to say which a field is for. */
const OWN: Readonly<Record<string, BrokerKind>> = { subject: 'nats', exchange: 'amqp', routing_key: 'amqp', topic: 'mqtt', qos: 'mqtt', retain: 'mqtt', persistent: 'amqp' };
const NAMES: Readonly<Record<BrokerKind, string>> = { nats: 'NATS', amqp: 'AMQP', mqtt: 'MQTT' };

export function publishTask(base: TaskBase, raw: RawMap, ctx: LeafContext): PublishTask {
  const { rep } = ctx;
  const url = str(raw, 'url');
  if (!has(raw, 'url')) missing(rep, raw, 'a publish task', 'url', `the broker: ${BROKER_SCHEMES}, e.g. url: "\${ secrets.BROKER_URL }"`);
  ctx.exprs.template(raw, 'url');
  checkUrlAt(rep, raw, 'url');
  const literal = url !== undefined && !url.includes('${') ? brokerKindOf(url) : undefined;
  if (url !== undefined && !url.includes('${') && literal === undefined) {
    rep.error('SPEC_INVALID_VALUE', `'${url.replace(/\/\/[^/@]*@/, '//***@')}' is not a broker URL`, rep.value(raw, 'url'), `start it with ${BROKER_SCHEMES}`);
  }
  const kind = literal ?? kindOfFields(raw);
  const given = Object.keys(OWN).filter((key) => has(raw, key));
  for (const key of given) {
    if (kind !== undefined && OWN[key] !== kind) {
      rep.error('SPEC_FIELD_NOT_ALLOWED', `\`${key}\` is for ${NAMES[OWN[key]]}, and this task publishes to ${NAMES[kind]}${literal ? ' (its url says so)' : ''}`, rep.key(raw, key), hint(kind));
    }
  }
  if (kind === undefined && url !== undefined) missing(rep, raw, 'a publish task', 'subject', `say where the message goes: ${hint()}`);
  if (kind === 'nats' && !has(raw, 'subject')) missing(rep, raw, 'a publish task to NATS', 'subject', 'e.g. subject: orders.created (a JetStream stream must capture it)');
  if (kind === 'amqp' && !has(raw, 'routing_key') && !has(raw, 'exchange')) missing(rep, raw, 'a publish task to AMQP', 'routing_key', 'a queue\'s name (through the default exchange), or `exchange` with its `routing_key`');
  if (kind === 'mqtt' && !has(raw, 'topic')) missing(rep, raw, 'a publish task to MQTT', 'topic', 'e.g. topic: sensors/room1/alarm');

  const task: PublishTask = { ...base, type: 'publish', url: url ?? '', headers: {} };
  for (const key of ['subject', 'exchange', 'routing_key', 'topic', 'message_id'] as const) {
    const value = str(raw, key);
    if (value === undefined) continue;
    task[key] = value;
    ctx.exprs.template(raw, key);
  }
  const topic = task.topic;
  if (topic !== undefined && /[+#]/.test(topic.replace(/\$\{[^}]*\}/g, ''))) {
    rep.error('SPEC_INVALID_VALUE', `the topic '${topic}' holds a wildcard (+ or #): a message is published to one topic`, rep.value(raw, 'topic'), 'wildcards belong in a message trigger\'s topic filter');
  }
  if (has(raw, 'body')) {
    task.body = raw.body;
    ctx.exprs.deep(raw, 'body');
  }
  task.headers = headersOf(raw, ctx);
  const qos = num(raw, 'qos');
  if (qos !== undefined) {
    if (qos === 0 || qos === 1 || qos === 2) task.qos = qos;
    else rep.error('SPEC_INVALID_VALUE', `qos ${qos} is not an MQTT quality of service`, rep.value(raw, 'qos'), '0 (at most once, not confirmed), 1 (at least once; the default) or 2 (exactly once)');
  }
  const retain = bool(raw, 'retain');
  if (retain !== undefined) task.retain = retain;
  const persistent = bool(raw, 'persistent');
  if (persistent !== undefined) task.persistent = persistent;
  return task;
}

/** The broker the destination fields point to, when the URL does not say (a template). */
function kindOfFields(raw: RawMap): BrokerKind | undefined {
  if (has(raw, 'subject')) return 'nats';
  if (has(raw, 'topic')) return 'mqtt';
  if (has(raw, 'exchange') || has(raw, 'routing_key')) return 'amqp';
  return undefined;
}

function hint(kind?: BrokerKind): string {
  const each: Record<BrokerKind, string> = { nats: 'NATS: subject', amqp: 'AMQP: exchange and/or routing_key, persistent', mqtt: 'MQTT: topic, qos, retain' };
  return kind === undefined ? Object.values(each).join('; ') : `the fields for ${each[kind]}`;
}
