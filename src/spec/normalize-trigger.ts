/**
 * What starts runs of a workflow besides `baton run`: `trigger:` (one, as in seed 004) or
 * `triggers:` (a list), each `{type, config}`. Read defensively like the rest of
 * normalize; each field's shape is checked here with file:line:col, and what only the
 * server can judge (a cron expression croner cannot run, a secret that is not set) is
 * checked when `baton serve` loads the file.
 */
import { inspectCondition, inspectTemplate, type Inspection } from '../expr/index.js';
import type { Reporter } from './diagnostics.js';
import type { Trigger, TriggerType } from './model.js';
import { durationOf } from './normalize-leaf.js';
import { messageConfigOf, requiredMessageFields } from './normalize-message.js';
import { isMap, map, num, str, strings, type RawMap } from './raw.js';

const TYPES: readonly TriggerType[] = ['manual', 'schedule', 'webhook', 'file_change', 'event', 'message'];
/** A webhook path: URL-safe segments, none of them `.` or `..`. */
const WEBHOOK_PATH = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/;
/** An event name as `baton emit` takes it. */
export const EVENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$/;
const RUN_END_STATUSES = ['succeeded', 'failed', 'cancelled'];
/** What a trigger's `filter` and `inputs` may read. */
const TRIGGER_CONTEXTS = new Set(['trigger', 'env']);

export function triggersOf(raw: RawMap, rep: Reporter): Trigger[] {
  const one = map(raw, 'trigger');
  const list = Array.isArray(raw.triggers) ? raw.triggers : undefined;
  if (one !== undefined && list !== undefined) {
    rep.error('SPEC_CONFLICT', 'a workflow has `trigger:` or `triggers:`, not both', rep.key(raw, 'triggers'), 'move the `trigger:` into the `triggers:` list');
  }
  const raws = one !== undefined ? [one] : (list ?? []).filter(isMap);
  const out: Trigger[] = [];
  for (const entry of raws) {
    const trigger = triggerOf(entry, rep);
    if (trigger !== undefined) out.push(trigger);
  }
  const paths = new Map<string, RawMap>();
  for (const [i, trigger] of out.entries()) {
    const hook = trigger.config.webhook;
    if (hook === undefined) continue;
    if (paths.has(hook)) rep.error('SPEC_CONFLICT', `two triggers of this workflow serve the webhook ${hook}`, rep.value(raws[i]), 'give each webhook trigger its own path');
    paths.set(hook, raws[i]);
  }
  return out;
}

function triggerOf(trigger: RawMap, rep: Reporter): Trigger | undefined {
  const type = str(trigger, 'type') as TriggerType | undefined;
  if (type === undefined || !TYPES.includes(type)) return undefined;
  const config = map(trigger, 'config') ?? {};
  const out: Trigger = { type, config: {} };
  const at = (key: string) => rep.value(config, key);
  const schedule = str(config, 'schedule');
  if (schedule !== undefined) {
    out.config.schedule = schedule;
    // The shape only: croner judges the values (triggers/schedule.ts) when baton serve loads the file.
    const fields = schedule.trim().split(/\s+/);
    if ((fields.length !== 5 && fields.length !== 6) || !fields.every((f) => /^[0-9A-Za-z*/,?#-]+$/.test(f))) {
      rep.error('SPEC_INVALID_CRON', `'${schedule}' is not a cron expression: five fields (minute hour day month weekday), or six with seconds first`, at('schedule'), "e.g. '0 2 * * *' (02:00 every day), '*/15 * * * *' (every 15 minutes)");
    }
  }
  const timezone = str(config, 'timezone');
  if (timezone !== undefined) {
    out.config.timezone = timezone;
    if (!isTimeZone(timezone)) rep.error('SPEC_INVALID_TIMEZONE', `'${timezone}' is not an IANA time zone`, at('timezone'), 'e.g. UTC, Europe/Berlin, America/New_York');
  }
  const missed = str(config, 'missed');
  if (missed === 'skip' || missed === 'run-once') out.config.missed = missed;
  if (config.files !== undefined) out.config.files = strings(config, 'files');
  const debounce = durationOf(config.debounce, 'ms');
  if (debounce !== undefined) out.config.debounce = debounce;
  const webhook = str(config, 'webhook');
  if (webhook !== undefined) {
    out.config.webhook = webhook.startsWith('/') ? webhook : `/${webhook}`;
    if (!WEBHOOK_PATH.test(out.config.webhook)) {
      rep.error('SPEC_INVALID_VALUE', `'${webhook}' is not a webhook path: segments of letters, digits, '.', '_', '~' and '-', none of them '.' or '..'`, at('webhook'), 'e.g. webhook: /trigger/deploy (served as POST /hooks/trigger/deploy)');
    }
  }
  const secretEnv = str(config, 'secret_env');
  if (secretEnv !== undefined) out.config.secret_env = secretEnv;
  const tolerance = durationOf(config.tolerance, 's');
  if (tolerance !== undefined) out.config.tolerance = tolerance;
  const event = str(config, 'event');
  if (event !== undefined) {
    out.config.event = event;
    if (!EVENT_NAME.test(event)) rep.error('SPEC_INVALID_VALUE', `'${event}' is not an event name: letters, digits, '_', '.', ':' and '-'`, at('event'), 'e.g. event: deploy-requested');
  }
  const workflowRun = map(config, 'workflow_run');
  if (workflowRun !== undefined) {
    const name = str(workflowRun, 'workflow');
    const status = strings(workflowRun, 'status');
    for (const s of status) {
      if (!RUN_END_STATUSES.includes(s)) rep.error('SPEC_INVALID_VALUE', `'${s}' is not how a run ends`, rep.value(workflowRun, 'status'), `one of ${RUN_END_STATUSES.join(', ')}`);
    }
    if (name === undefined) rep.error('SPEC_MISSING_FIELD', 'workflow_run needs `workflow`: the workflow whose runs ending fire this trigger', rep.value(workflowRun), 'e.g. workflow_run: { workflow: build, status: succeeded }');
    else out.config.workflow_run = { workflow: name, ...(status.length > 0 ? { status } : {}) };
  }
  const filter = str(config, 'filter');
  if (filter !== undefined) {
    out.config.filter = filter;
    expressionReads(inspectCondition(filter), config, 'filter', rep);
  }
  const inputs = map(config, 'inputs');
  if (inputs !== undefined) {
    out.config.inputs = {};
    for (const [name, value] of Object.entries(inputs)) {
      out.config.inputs[name] = value;
      if (typeof value === 'string') expressionReads(inspectTemplate(value, TRIGGER_CONTEXTS), inputs, name, rep);
    }
  }
  const priority = num(config, 'priority');
  if (priority !== undefined && Number.isInteger(priority)) out.config.priority = priority;
  const key = str(config, 'idempotency_key');
  if (key !== undefined) {
    out.config.idempotency_key = key;
    if (key.trim() === '') rep.error('SPEC_INVALID_VALUE', 'an idempotency_key cannot be empty: it names the one run a firing starts', at('idempotency_key'), "e.g. idempotency_key: \"${ trigger.headers['x-request-id'] }\"");
    else expressionReads(inspectTemplate(key, TRIGGER_CONTEXTS), config, 'idempotency_key', rep);
  }
  messageConfigOf(config, out, rep);
  required(type, out, trigger, config, rep);
  return out;
}

/** The field each type cannot go without. */
function required(type: TriggerType, out: Trigger, trigger: RawMap, config: RawMap, rep: Reporter): void {
  const missing = (message: string, hint: string) => rep.error('SPEC_MISSING_FIELD', message, rep.value(trigger), hint);
  if (type === 'schedule' && out.config.schedule === undefined) missing('a schedule trigger needs `config.schedule` (a cron expression)', "e.g. config: { schedule: '0 2 * * *' }");
  if (type === 'file_change' && (out.config.files === undefined || out.config.files.length === 0)) missing('a file_change trigger needs `config.files` (globs to watch)', 'e.g. config: { files: ["src/**/*"] }');
  if (type === 'webhook' && out.config.webhook === undefined) missing('a webhook trigger needs `config.webhook` (the path it is served at)', 'e.g. config: { webhook: /trigger/deploy, secret_env: DEPLOY_HOOK_SECRET }');
  if (type === 'event' && out.config.event === undefined && out.config.workflow_run === undefined && !('workflow_run' in config)) {
    missing('an event trigger needs `config.event` (an event name) or `config.workflow_run`', 'e.g. config: { event: deploy-requested } or config: { workflow_run: { workflow: build, status: succeeded } }');
  }
  if (type === 'message') requiredMessageFields(out, trigger, config, rep);
  if (type === 'event' && out.config.event !== undefined && out.config.workflow_run !== undefined) {
    rep.error('SPEC_CONFLICT', 'an event trigger listens to `event` or `workflow_run`, not both', rep.key(config, 'workflow_run'), 'make them two triggers under `triggers:`');
  }
}

/** Syntax problems, and reads of contexts other than `trigger` and `env`, in a filter, an input template or the idempotency key. */
function expressionReads(seen: Inspection, container: RawMap, key: string, rep: Reporter): void {
  const at = (index: number) => rep.index.charLoc(container, key, index);
  for (const p of seen.problems) rep.error('SPEC_EXPR_SYNTAX', p.message, at(p.col - 1), p.hint);
  for (const read of seen.reads) {
    if (TRIGGER_CONTEXTS.has(read.name.toLowerCase())) continue;
    rep.error('SPEC_CONTEXT_UNAVAILABLE', `a trigger's ${key === 'filter' || key === 'idempotency_key' ? key : 'inputs'} can read only \`trigger\` and \`env\`, not \`${read.name}\`: no run exists yet`, at(read.at), 'e.g. "${ trigger.payload.ref }" or trigger.data.env == \'prod\'');
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
