import { hostname, userInfo } from 'node:os';
import { FINISHED_RUN_STATUSES } from '../../store/projection.js';
import { isOwnerGone } from '../../store/ownership.js';
import type { RunRecord, RunStore } from '../../store/store.js';
import type { RequestOrigin, RunWait, WaitAnswer } from '../../store/events.js';
import { runNotFound } from '../../store/errors.js';
import { EngineError } from '../errors.js';
import { loadRun } from '../resume.js';
import type { RunState } from '../state.js';

/**
 * Answering a code run's waits: `baton approve` (an approval) and `baton emit` (an event),
 * for every front end. The answer is recorded as WaitAnswered by whoever answers; then a
 * run nobody drives is continued by the caller (continueStoredRun), and a run driven by a
 * live process is left to it: that process reads the answer at its next heartbeat
 * (engine/steps/answers.ts).
 */

/** The waits of a run that are open (the task is waiting), from its events. */
export function openWaits(state: RunState): RunWait[] {
  const out: RunWait[] = [];
  for (const [task, record] of state.tasks) {
    const step = state.nodes.get(task)?.step;
    if (record.status !== 'waiting' || !step || (step.kind !== 'sleep' && step.kind !== 'approval' && step.kind !== 'event')) continue;
    out.push({ task, kind: step.kind, ...pick(step) });
  }
  return out;
}

function pick(step: NonNullable<ReturnType<RunState['nodes']['get']>>['step']): Partial<RunWait> {
  const out: Partial<RunWait> = {};
  if (step?.until !== undefined) out.until = step.until;
  if (step?.timeout_at !== undefined) out.timeout_at = step.timeout_at;
  if (step?.prompt !== undefined) out.prompt = step.prompt;
  if (step?.event !== undefined) out.event = step.event;
  return out;
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
export async function answerApproval(runs: RunStore, runId: string, task: string | undefined, answer: WaitAnswer, now = Date.now()): Promise<Delivered> {
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
    const open = openWaits(state);
    const what = open.length === 0 ? 'it waits for nothing' : `it waits for: ${open.map((w) => `${w.task} (${w.kind === 'event' ? `event ${w.event}` : w.kind})`).join(', ')}`;
    const named = task === undefined ? 'no approval' : `no approval ${task}`;
    throw new EngineError('WAIT_NOT_FOUND', `run ${runId} has ${named} open: ${what}`, { details: { run: runId, ...(task === undefined ? {} : { task }) } });
  }
  if (chosen.timeout_at !== undefined && chosen.timeout_at <= now) {
    // Too late: the run is continued (by the caller or its owner), which records the timeout.
    return { ...(await delivered(runs, runId, [chosen.task])), timedOut: true };
  }
  await runs.append(runId, [{ type: 'WaitAnswered', task: chosen.task, answer, at: now }]);
  return delivered(runs, runId, [chosen.task]);
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
    const tasks = openWaits(state).filter((w) => w.kind === 'event' && w.event === name && !(w.timeout_at !== undefined && w.timeout_at <= now)).map((w) => w.task);
    if (tasks.length === 0) continue;
    const answer = { event: name, data, ...(origin ? { origin } : {}) };
    await runs.append(runId, tasks.map((task) => ({ type: 'WaitAnswered' as const, task, answer, at: now })));
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
