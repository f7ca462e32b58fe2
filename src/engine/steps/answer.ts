import { hostname, userInfo } from 'node:os';
import { evaluateCondition } from '../../expr/index.js';
import { ROLES } from '../../store/access.js';
import { TERMINAL_TASK_STATUSES } from '../../store/events.js';
import { FINISHED_RUN_STATUSES } from '../../store/projection.js';
import { isOwnerGone } from '../../store/ownership.js';
import type { RunRecord, RunStore } from '../../store/store.js';
import type { RequestOrigin, RunWait, WaitAnswer } from '../../store/events.js';
import { runNotFound } from '../../store/errors.js';
import { EngineError } from '../errors.js';
import { loadRun } from '../resume.js';
import type { RunState } from '../state.js';
import { ScopeBuilder } from '../scope.js';
import { waitOf } from '../waits.js';
import { isWait } from '../../store/projection.js';

/**
 * Answering a run's waits: `baton approve` (an approval), `baton emit` (an event) and
 * `baton resolve` (a paused task of a workflow file), for every front end. The answer is
 * recorded as WaitAnswered by whoever answers; then a run nobody drives is continued by the
 * caller (continueStoredRun), and a run driven by a live process is left to it: that process
 * reads the answer at its next heartbeat (engine/steps/answers.ts, engine/waits.ts). A
 * workflow file's answer is deferred: its driver turns it into the task's end.
 */

/** The waits of a run that are open (the task is waiting, with no answer yet), from its events. */
export function openWaits(state: RunState): RunWait[] {
  const out: RunWait[] = [];
  for (const [task, record] of state.tasks) {
    if (record.status !== 'waiting' || record.answer !== undefined) continue;
    const step = state.nodes.get(task)?.step;
    if (record.paused || (step !== undefined && isWait(step.kind))) out.push(waitOf(state, task));
  }
  return out;
}

/** Who answers, as an approval's `approvers` are matched against them: their names and roles. */
export interface Answerer {
  names: readonly string[];
  roles: readonly string[];
}

/** The CLI on a local store: the OS user, holding every role (whoever can open the store may do anything in it). */
export function localAnswerer(): Answerer {
  let name: string | undefined;
  try {
    name = userInfo().username;
  } catch {
    name = process.env.USER;
  }
  return { names: name ? [name] : [], roles: ROLES };
}

/** APPROVAL_NOT_APPROVER unless `who` is one of `wait`'s approvers (a name they have, or a role they hold). */
function checkApprover(runId: string, wait: RunWait, who: Answerer): void {
  const approvers = wait.approvers;
  if (approvers === undefined) return;
  const ok = approvers.some((entry) => (entry.startsWith('role:') ? who.roles.includes(entry.slice(5)) : who.names.includes(entry)));
  if (ok) return;
  const you = `${who.names.length > 0 ? who.names.join(', ') : 'an unnamed caller'} (roles: ${who.roles.length > 0 ? who.roles.join(', ') : 'none'})`;
  throw new EngineError('APPROVAL_NOT_APPROVER', `approval ${wait.task} of run ${runId} may be answered only by ${approvers.join(', ')}; this answer came from ${you}`, {
    details: { run: runId, task: wait.task, approvers },
  });
}

/**
 * Waiting runs nobody drives that a process should pick up now, for `baton run
 * --resume-interrupted`: one with a sleep (the process sleeps until it is due), or with a
 * wait whose timeout has passed. (`baton serve` fires the store's timers instead:
 * server/timer-watch.ts.)
 */
export async function dueWaitingRuns(runs: RunStore, now = Date.now()): Promise<string[]> {
  const out: string[] = [];
  for (const run of await runs.listRuns({ status: 'waiting', limit: 10_000 })) {
    if (!isOwnerGone(run, now)) continue;
    const waits = openWaits(await loadRun(runs, run.id));
    if (waits.some((w) => w.kind === 'sleep' || (w.timeout_at !== undefined && w.timeout_at <= now))) out.push(run.id);
  }
  return out;
}

/** Who answers, for the record: user@host. */
export function answeredBy(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No user name (a container with an odd uid): the host still says where.
  }
  return `${user}@${hostname()}`;
}

export interface Delivered {
  runId: string;
  tasks: string[];
  /** The approval's timeout had passed: no answer was recorded, and the run, going on, times it out. */
  timedOut?: boolean;
  /** Nobody drives the run: the caller continues it. Otherwise its owner goes on with it. */
  continueHere: boolean;
  owner?: RunRecord['owner'];
}

/**
 * Answers the approval `task` of a run (or its only open approval when `task` is not
 * given). WAIT_NOT_FOUND when there is no such open approval, WAIT_AMBIGUOUS when several
 * are open and none was named.
 */
export async function answerApproval(runs: RunStore, runId: string, task: string | undefined, answer: WaitAnswer, now = Date.now(), who: Answerer = localAnswerer()): Promise<Delivered> {
  const record = await runs.getRun(runId);
  if (!record) throw runNotFound(runId);
  if (FINISHED_RUN_STATUSES.has(record.status)) {
    throw new EngineError('RUN_FINISHED', `run ${runId} already ${record.status}; it waits for no approval`, { details: { run: runId } });
  }
  const state = await loadRun(runs, runId);
  const approvals = openWaits(state).filter((w) => w.kind === 'approval');
  let chosen: RunWait | undefined;
  if (task === undefined) {
    if (approvals.length > 1) {
      throw new EngineError('WAIT_AMBIGUOUS', `run ${runId} waits for ${approvals.length} approvals (${approvals.map((w) => w.task).join(', ')}): name one, e.g. \`baton approve ${runId} ${approvals[0].task}\``, {
        details: { run: runId, approvals: approvals.map((w) => w.task) },
      });
    }
    chosen = approvals[0];
  } else chosen = approvals.find((w) => w.task === task);
  if (chosen === undefined) {
    throw notFound(runId, state, task, 'approval');
  }
  checkApprover(runId, chosen, who);
  if (chosen.timeout_at !== undefined && chosen.timeout_at <= now) {
    // Too late: the run is continued (by the caller or its owner), which records the timeout.
    return { ...(await delivered(runs, runId, [chosen.task])), timedOut: true };
  }
  await runs.append(runId, [{ type: 'WaitAnswered', task: chosen.task, answer, at: now, ...deferred(state) }]);
  return delivered(runs, runId, [chosen.task]);
}

/**
 * `baton resolve`: a paused task of a workflow file (`on_failure: pause`) is run again,
 * skipped or aborted. `task` may be left out when one task is paused.
 */
export async function resolvePaused(runs: RunStore, runId: string, task: string | undefined, answer: WaitAnswer & { resolution: NonNullable<WaitAnswer['resolution']> }, now = Date.now()): Promise<Delivered> {
  const record = await runs.getRun(runId);
  if (!record) throw runNotFound(runId);
  if (FINISHED_RUN_STATUSES.has(record.status)) {
    throw new EngineError('RUN_FINISHED', `run ${runId} already ${record.status}; none of its tasks is paused (baton retry runs failed tasks again)`, { details: { run: runId } });
  }
  const state = await loadRun(runs, runId);
  const paused = openWaits(state).filter((w) => w.kind === 'pause');
  if (task === undefined && paused.length > 1) {
    throw new EngineError('WAIT_AMBIGUOUS', `run ${runId} has ${paused.length} paused tasks (${paused.map((w) => w.task).join(', ')}): name one, e.g. \`baton resolve ${runId} ${paused[0].task} --${answer.resolution}\``, {
      details: { run: runId, paused: paused.map((w) => w.task) },
    });
  }
  const chosen = task === undefined ? paused[0] : paused.find((w) => w.task === task);
  if (chosen === undefined) throw notFound(runId, state, task, 'pause');
  await runs.append(runId, [{ type: 'WaitAnswered', task: chosen.task, answer, at: now, deferred: true }]);
  return delivered(runs, runId, [chosen.task]);
}

/** WAIT_NOT_FOUND: no such open approval (or paused task), with what the run does wait for. */
function notFound(runId: string, state: RunState, task: string | undefined, kind: 'approval' | 'pause'): EngineError {
  const open = openWaits(state);
  const what = open.length === 0 ? 'it waits for nothing' : `it waits for: ${open.map((w) => `${w.task} (${w.kind === 'event' ? `event ${w.event}` : w.kind === 'pause' ? `paused: baton resolve ${runId} ${w.task}` : w.kind})`).join(', ')}`;
  const noun = kind === 'approval' ? 'approval' : 'paused task';
  const named = task === undefined ? `no ${noun}` : `no ${noun} ${task}`;
  return new EngineError('WAIT_NOT_FOUND', `run ${runId} has ${named} open: ${what}`, { details: { run: runId, ...(task === undefined ? {} : { task }) } });
}

/** A workflow file's answers are taken up by its driver (WaitAnswered.deferred); a code run's end the wait. */
function deferred(state: RunState): { deferred?: true } {
  return state.code === undefined ? { deferred: true } : {};
}

/** Does event `name` with `data` meet the wait's filter? Evaluated over the run's recorded state; one that cannot be evaluated is not met. */
function meets(state: RunState, wait: RunWait, name: string, data: unknown): boolean {
  if (wait.filter === undefined) return true;
  const scopes = new ScopeBuilder(state, {});
  for (const [key, task] of state.tasks) if (TERMINAL_TASK_STATUSES.has(task.status)) scopes.taskEnded(key);
  try {
    return evaluateCondition(wait.filter, scopes.forTask(wait.task, undefined, { event: { name, data } }));
  } catch {
    return false;
  }
}

/**
 * Delivers the event `name` to every open wait for it: in the run `onlyRun`, or in every
 * run that waits for it (waiting runs, and running ones with such a wait). Returns the
 * runs it reached; none is not an error (nobody was waiting), the caller says so.
 * `origin` (`mcp`) is recorded with each answer. With `namespace`, only that namespace's
 * runs are reached (`onlyRun` too: one of another namespace gets nothing).
 */
export async function emitEvent(runs: RunStore, name: string, data: unknown, onlyRun?: string, now = Date.now(), origin?: RequestOrigin, namespace?: string): Promise<Delivered[]> {
  const candidates = onlyRun !== undefined ? [onlyRun] : await waitingRunIds(runs, namespace);
  const out: Delivered[] = [];
  for (const runId of candidates) {
    if (namespace !== undefined && onlyRun !== undefined && (await runs.getRun(runId))?.namespace !== namespace) continue;
    const state = await loadRun(runs, runId);
    // A wait whose timeout has passed gets nothing: the run, when it goes on, times it out.
    const tasks = openWaits(state)
      .filter((w) => w.kind === 'event' && w.event === name && !(w.timeout_at !== undefined && w.timeout_at <= now) && meets(state, w, name, data))
      .map((w) => w.task);
    if (tasks.length === 0) continue;
    const answer = { event: name, data, ...(origin ? { origin } : {}) };
    await runs.append(runId, tasks.map((task) => ({ type: 'WaitAnswered' as const, task, answer, at: now, ...deferred(state) })));
    out.push(await delivered(runs, runId, tasks));
  }
  return out;
}

/** Runs that may wait for an event: waiting ones, and running ones that have a task waiting. */
async function waitingRunIds(runs: RunStore, namespace?: string): Promise<string[]> {
  const waiting = await runs.listRuns({ status: 'waiting', limit: 10_000, ...(namespace === undefined ? {} : { namespace }) });
  const running = await runs.listRuns({ status: 'running', limit: 10_000, ...(namespace === undefined ? {} : { namespace }) });
  const withWaits: string[] = [];
  for (const run of running) {
    if ((await runs.listTasks(run.id)).some((task) => task.status === 'waiting')) withWaits.push(run.id);
  }
  return [...waiting.map((run) => run.id), ...withWaits];
}

/**
 * Who goes on with the run once the answer is recorded. A live owner that was about to let
 * the run go (it looked for answers just before ours) may release it a moment later: the
 * run is watched until its owner has taken the answer up (the run no longer waits) or let
 * go (then the caller continues it), for at most HANDOVER_MS.
 */
async function delivered(runs: RunStore, runId: string, tasks: string[]): Promise<Delivered> {
  const until = Date.now() + HANDOVER_MS;
  for (;;) {
    const record = (await runs.getRun(runId))!;
    if (isOwnerGone(record, Date.now()) || FINISHED_RUN_STATUSES.has(record.status)) {
      return { runId, tasks, continueHere: !FINISHED_RUN_STATUSES.has(record.status) };
    }
    if (record.status !== 'waiting' || Date.now() >= until) return { runId, tasks, continueHere: false, ...(record.owner ? { owner: record.owner } : {}) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How long an answer waits for a live owner to take it up or let the run go. */
const HANDOVER_MS = 3000;
