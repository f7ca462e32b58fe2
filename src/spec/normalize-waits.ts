/**
 * Approval and wait tasks, and `on_failure: pause`: what the schema cannot say. An approval
 * needs approvers (user names or `role:NAME` with a role baton has); a wait waits for exactly
 * one of a time (`until`, `duration`) or an event (with an optional `filter` and `timeout`).
 * A filter is evaluated by whoever sends the event, from the run's recorded state, so it
 * cannot read `env` or `secrets` (not recorded); it reads `event`, and the run's inputs and
 * tasks.
 */
import { inspectCondition } from '../expr/index.js';
import { ROLES } from '../store/access.js';
import type { Reporter } from './diagnostics.js';
import type { ApprovalTask, TaskBase, TaskType, WaitTask } from './model.js';
import { durationOf, missing, type LeafContext } from './normalize-leaf.js';
import { notifyTarget } from './normalize-notify.js';
import { EVENT_NAME } from './normalize-trigger.js';
import { has, str } from './raw.js';
import type { RawMap } from './raw.js';

export const APPROVAL_FIELDS = ['prompt', 'approvers', 'on_timeout', 'notify'];
export const WAIT_FIELDS = ['until', 'duration', 'event', 'filter'];

/** What a wait's filter may read: the event, and what the run recorded. */
const FILTER_CONTEXTS = new Set(['event', 'inputs', 'tasks', 'run', 'workflow', 'item', 'index', 'trigger']);

export function approvalTask(base: TaskBase, raw: RawMap, ctx: LeafContext): ApprovalTask {
  const { rep } = ctx;
  const task: ApprovalTask = { ...base, type: 'approval', approvers: approversOf(raw, rep), on_timeout: str(raw, 'on_timeout') === 'approve' ? 'approve' : 'reject' };
  const prompt = str(raw, 'prompt');
  if (prompt !== undefined) {
    task.prompt = prompt;
    ctx.exprs.template(raw, 'prompt');
  }
  if (has(raw, 'on_timeout') && base.timeout === undefined) {
    rep.error('SPEC_CONFLICT', '`on_timeout` says what a timeout does, and this approval has no `timeout`', rep.key(raw, 'on_timeout'), 'add `timeout: 1h` (how long it waits), or remove on_timeout');
  }
  if (has(raw, 'notify')) task.notify = notifyTarget(raw, ctx);
  return task;
}

function approversOf(raw: RawMap, rep: Reporter): string[] {
  const given = raw.approvers;
  const list = typeof given === 'string' ? [given] : Array.isArray(given) ? given : undefined;
  const hint = 'name who may answer it: approvers: [alice, role:approver] (user names, or role:NAME with a role of docs/access.md)';
  if (list === undefined) {
    // A value of the wrong type is zod's to report.
    if (given === undefined) missing(rep, raw, 'an approval', 'approvers', hint);
    return [];
  }
  if (list.length === 0) {
    rep.error('SPEC_MISSING_FIELD', 'an approval with no approvers could never be answered', rep.value(raw, 'approvers'), hint);
    return [];
  }
  const out: string[] = [];
  list.forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    const at = typeof given === 'string' ? rep.value(raw, 'approvers') : rep.value(list, i);
    const role = /^role:(.*)$/.exec(entry)?.[1];
    if (role !== undefined && !(ROLES as readonly string[]).includes(role)) {
      rep.error('SPEC_INVALID_VALUE', `'${entry}' names no role: the roles are ${ROLES.join(', ')}`, at, 'e.g. role:approver');
      return;
    }
    if (role === undefined && (entry.trim() !== entry || entry === '' || entry.includes(':'))) {
      rep.error('SPEC_INVALID_VALUE', `'${entry}' is not an approver: give a user name, or role:NAME`, at, 'e.g. alice, or role:approver');
      return;
    }
    out.push(entry);
  });
  return out;
}

export function waitTask(base: TaskBase, raw: RawMap, ctx: LeafContext): WaitTask {
  const { rep } = ctx;
  const task: WaitTask = { ...base, type: 'wait' };
  const given = WAIT_FIELDS.filter((field) => field !== 'filter' && has(raw, field));
  if (given.length === 0) {
    missing(rep, raw, 'a wait task', 'until', 'wait until a time (until: "2030-01-01T09:00:00Z"), for a while (duration: 10m), or for an event (event: payment-received)');
  } else if (given.length > 1) {
    rep.error('SPEC_CONFLICT', `a wait task waits for one thing: give one of until, duration and event, not ${given.join(' and ')}`, rep.key(raw, given[1]), 'make them two wait tasks, one after the other');
  }
  const until = str(raw, 'until');
  if (until !== undefined) {
    task.until = until;
    ctx.exprs.template(raw, 'until');
    if (!until.includes('${') && Number.isNaN(Date.parse(until))) {
      rep.error('SPEC_INVALID_VALUE', `'${until}' is not a time`, rep.value(raw, 'until'), 'write it in ISO 8601: 2030-01-01T09:00:00Z (a time without a zone is taken as local time)');
    }
  }
  const duration = durationOf(raw.duration, 's');
  if (duration !== undefined) task.duration = duration;
  const event = str(raw, 'event');
  if (event !== undefined) {
    task.event = event;
    if (!EVENT_NAME.test(event)) rep.error('SPEC_INVALID_VALUE', `'${event}' is not an event name: letters, digits, '_', '.', ':' and '-'`, rep.value(raw, 'event'), 'e.g. event: payment-received');
  }
  const filter = str(raw, 'filter');
  if (filter !== undefined) {
    if (event === undefined) rep.error('SPEC_CONFLICT', '`filter` chooses among events, and this wait waits for no event', rep.key(raw, 'filter'), 'add `event: NAME`, or remove filter');
    task.filter = filter;
    checkFilter(filter, raw, rep);
  }
  if (event === undefined && base.timeout !== undefined && given.length > 0) {
    rep.error('SPEC_CONFLICT', 'a wait for a time ends at that time: it takes no `timeout`', rep.key(raw, 'timeout'), 'remove timeout (a timeout bounds a wait for an event)');
  }
  return task;
}

/** The filter's syntax, and that it reads only what the sender of an event has. */
function checkFilter(filter: string, raw: RawMap, rep: Reporter): void {
  const seen = inspectCondition(filter);
  const at = (index: number) => rep.index.charLoc(raw, 'filter', index);
  for (const p of seen.problems) rep.error('SPEC_EXPR_SYNTAX', p.message, at(p.col - 1), p.hint);
  for (const read of seen.reads) {
    if (FILTER_CONTEXTS.has(read.name.toLowerCase())) continue;
    rep.error(
      'SPEC_CONTEXT_UNAVAILABLE',
      `a wait's filter can read \`event\` and the run's inputs and tasks, not \`${read.name}\`: it is evaluated where the event is sent, from what the run recorded`,
      at(read.at),
      "e.g. event.data.order == inputs.order; pass what it needs as an input or a task's output",
    );
  }
}

/**
 * `on_failure: pause` (the word alone, not in a list: `[pause]` calls a task named pause).
 * Sets `pause_on_failure` on leaf and wait tasks; a composite ends as its tasks do, so it
 * cannot pause.
 */
export function pauseOf(raw: RawMap, base: TaskBase, type: TaskType | undefined, rep: Reporter): void {
  if (!isPause(raw)) return;
  base.on_failure = [];
  if (type === 'parallel' || type === 'loop' || type === 'conditional') {
    rep.error('SPEC_PAUSE_ON_COMPOSITE', `a ${type} task cannot pause on failure: it ends as its tasks do`, rep.value(raw, 'on_failure'), 'put `on_failure: pause` on the tasks inside it');
    return;
  }
  base.pause_on_failure = true;
}

/** `on_failure: pause` as written. */
export function isPause(raw: RawMap): boolean {
  return raw.on_failure === 'pause';
}
