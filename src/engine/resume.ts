import { stopLeftoverProcesses } from '../executors/leftovers.js';
import type { Workflow } from '../spec/model.js';
import type { CodeSnapshot, RunEvent, StoredEvent } from '../store/events.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import { isOwnerGone, ownerProcessGone, sameOwner } from '../store/ownership.js';
import type { RunOwner, RunRecord, RunStore } from '../store/store.js';
import { runNotFound } from '../store/errors.js';
import { taskChildRunId } from '../store/ids.js';
import type { Admission } from './admission.js';
import { EngineError } from './errors.js';
import { buildPlan } from './plan.js';
import { tasksToReopen } from './reopen.js';
import { continueRun, type DriveOptions, type RunResult } from './runner.js';
import { RunState } from './state.js';

/**
 * Picking a stored run up again. The run's events are the whole truth: the workflow
 * snapshot taken when it started, its inputs, and every decision since; replaying them
 * rebuilds the state, and the scheduler goes on from there (Scheduler.resume).
 */

/** Rebuilds a run's state from its events. */
export function replayRun(runId: string, events: readonly StoredEvent[]): RunState {
  const created = events[0];
  if (created?.type !== 'RunCreated') {
    throw new EngineError('RUN_NO_SNAPSHOT', `run ${runId} has no RunCreated event to rebuild it from; its log is damaged`, {
      details: { run: runId },
    });
  }
  const state = new RunState(runId, buildPlan(created.workflow as Workflow));
  for (const event of events) state.apply(event);
  return state;
}

export async function loadRun(runs: RunStore, runId: string): Promise<RunState> {
  return replayRun(runId, await runs.readEvents(runId));
}

export type ContinueMode =
  /** `baton resume`: go on with an interrupted run. */
  | { kind: 'resume' }
  /**
   * `baton retry`: a new attempt of what failed (or of `from` and what follows) in a finished
   * run. `newCode`: a code run takes its file's code as it is now (`--new-code`), which this
   * function, given the run's snapshot, loads.
   */
  | { kind: 'retry'; from?: string; newCode?: (code: CodeSnapshot) => Promise<CodeSnapshot> }
  /** `baton cancel` of a run nobody drives: cancel it, letting cleanup (always()) tasks run. */
  /** `compensate`: the run's succeeded tasks are undone before it ends (engine/compensation.ts). */
  | { kind: 'cancel'; reason: string; compensate?: boolean }
  /** A run recorded by createRun, never driven: start it. */
  | { kind: 'start' };

export interface ContinueOptions extends DriveOptions {
  runId: string;
  owner: RunOwner;
  /** Called with the rebuilt state before anything runs (to tell the user what will happen). */
  onLoaded?: (state: RunState) => void;
  /**
   * Stops what the previous owner's tasks left running before they run again; default
   * executors/leftovers.ts (processes carrying the run's id).
   */
  stopLeftovers?: (runId: string) => Promise<unknown>;
  /**
   * With a `wait`: resuming a queued run whose process is gone waits for its turn here,
   * then starts it (`baton resume`). Without: that is RUN_QUEUED.
   */
  admission?: Admission;
  /**
   * The run as `owner` already claimed it (a worker's RunStore.claimNextRun): it is not
   * claimed again. Default: it is claimed here.
   */
  claimed?: RunRecord;
}

/** Claims a stored run, rebuilds it from its events and drives it to its end. */
export async function continueStoredRun(options: ContinueOptions, mode: ContinueMode): Promise<RunResult> {
  const { store, runId, owner } = options;
  const now = options.now ?? Date.now;
  const canWait = options.admission?.wait !== undefined;
  let record = options.claimed;
  // The previous owner's last sign of life, where its stretch of the run's time ends (unknown once claimed elsewhere).
  let lastBeat: number | undefined;
  if (record?.id !== runId || !sameOwner(record.owner, owner)) {
    const before = await store.runs.getRun(runId);
    if (!before) throw runNotFound(runId);
    checkStatus(before, mode, canWait);
    lastBeat = before.heartbeat_at;
    // The store checks the holder's lease by its own clock; this host adds whether the holder is a process here that is gone.
    const claim = await store.runs.claimRun(runId, owner, now(), ownerProcessGone, options.leaseMs);
    if (!claim.claimed) throw held(claim.record, now());
    record = { ...claim.record, status: before.status };
  } else {
    checkStatus(record, mode, canWait);
  }
  options = { ...options, fence: record.fence };
  try {
    // Read after claiming: nobody else appends from here on.
    const state = await loadRun(store.runs, runId);
    checkStatus({ ...record, status: state.status }, mode, canWait);
    let reopen: Extract<RunEvent, { type: 'RunReopened' }> | undefined;
    if (mode.kind === 'retry') {
      const tasks = tasksToReopen(state, mode.from);
      // A code run that failed without a failed step (its code threw, or took another path) runs its code again.
      if (tasks.length === 0 && state.code === undefined) {
        throw new EngineError('RUN_NOTHING_TO_RETRY', `run ${runId} ${state.status} with nothing failed or cancelled to retry; re-run part of it with --from <task>`, {
          details: { run: runId },
        });
      }
      reopen = mode.from === undefined ? { type: 'RunReopened', tasks } : { type: 'RunReopened', tasks, from: mode.from };
      if (options.origin !== undefined) reopen.origin = options.origin;
      if (mode.newCode) {
        if (state.code === undefined) {
          throw new EngineError('RUN_NOT_CODE', `run ${runId} runs a workflow file, not code: --new-code is for code runs (start a new run to use a changed file)`, { details: { run: runId } });
        }
        reopen.code = await mode.newCode(state.code);
      }
    }
    if (mode.kind === 'cancel' && state.status === 'queued') {
      options.onLoaded?.(state);
      return await cancelQueued(options, state, mode.reason);
    }
    options.onLoaded?.(state);
    if (mode.kind === 'resume' && state.status === 'queued') {
      // Cancelled while it waited: nothing ran, nothing more to do.
      if ((await waitInQueue(options, state)) !== 'pending') return { runId, state };
    }
    // A run recorded and never started (created to start later, or its process died right
    // after recording it) starts when it is resumed: there is nothing to go on with yet.
    const neverStarted = state.startedAt === undefined && state.status === 'pending';
    if (mode.kind === 'start' || (mode.kind === 'resume' && neverStarted)) {
      if (!neverStarted) {
        throw new EngineError('RUN_ALREADY_STARTED', `run ${runId} has started already (${state.status}); resume it with \`baton resume ${runId}\` if nothing drives it`, { details: { run: runId } });
      }
      return await continueRun(state, options, { resumed: false, start: true });
    }
    if (mode.kind !== 'retry') await (options.stopLeftovers ?? stopLeftoverProcesses)(runId);
    const result = await continueRun(state, options, {
      resumed: mode.kind !== 'retry',
      reopen,
      cancel: mode.kind === 'cancel' ? mode.reason : undefined,
      compensate: mode.kind === 'cancel' && mode.compensate === true,
      // The previous owner's last sign of life: the time after it is not the run's.
      ranUntil: Math.max(lastBeat ?? 0, state.lastAt),
    });
    if (mode.kind === 'cancel') await cancelChildren(options, result.state);
    return result;
  } catch (err) {
    await store.runs.releaseRun(runId, owner).catch(() => {});
    throw err;
  }
}

/**
 * A run nobody drove was cancelled here: the child runs its tasks had started (a workflow
 * task's, `uses:`, ctx.run), left unfinished when its process stopped, are cancelled too,
 * as its driver would have cancelled them. One that a live process drives is asked to.
 */
async function cancelChildren(options: ContinueOptions, state: RunState): Promise<void> {
  const reason = `its parent run ${state.runId} was cancelled`;
  for (const [key, task] of state.tasks) {
    const node = state.nodes.get(key);
    if (task.attempt === 0 || node === undefined) continue;
    const type = node.spec.type;
    const childId = node.step?.child ?? (type === 'workflow' || type === 'skill' ? taskChildRunId(state.runId, key, task.reopens ?? 0) : undefined);
    const record = childId === undefined ? undefined : await options.store.runs.getRun(childId);
    if (record === undefined || FINISHED_RUN_STATUSES.has(record.status)) continue;
    try {
      const owner = await requestCancel(options.store.runs, record.id, reason);
      if (owner === undefined) await continueStoredRun({ store: options.store, runId: record.id, owner: options.owner, ...childOptions(options) }, { kind: 'cancel', reason });
    } catch {
      // Ended meanwhile, or held by another process that will see the request: nothing more to do here.
    }
  }
}

/** What a child's cancel drives with of its parent's options (no callbacks of the parent's own). */
function childOptions(options: ContinueOptions): Partial<ContinueOptions> {
  const { programs, loadCode, skills, channels, processEnv, stopLeftovers } = options;
  return { ...(programs ? { programs } : {}), ...(loadCode ? { loadCode } : {}), ...(skills ? { skills } : {}), ...(channels ? { channels } : {}), ...(processEnv ? { processEnv } : {}), ...(stopLeftovers ? { stopLeftovers } : {}) };
}

/**
 * The first half of cancelling a stored run, for every front end: a run driven by a live
 * process gets a cancel request, which that owner sees at its next heartbeat; returns the
 * owner asked. Returns undefined when nobody drives the run: the caller then cancels it
 * itself with continueStoredRun({ kind: 'cancel' }). A finished run is RUN_FINISHED.
 */
export async function requestCancel(runs: RunStore, runId: string, reason: string, now: number = Date.now(), compensate = false): Promise<RunOwner | undefined> {
  const record = await runs.getRun(runId);
  if (!record) throw runNotFound(runId);
  if (FINISHED_RUN_STATUSES.has(record.status)) {
    throw new EngineError('RUN_FINISHED', `run ${runId} already ${record.status}; nothing to cancel`, { details: { run: runId } });
  }
  if (isOwnerGone(record, now)) return undefined;
  await runs.requestCancel(runId, reason, compensate ? { compensate } : {});
  return record.owner;
}

/**
 * Takes a queued run out of the queue: cancelled, having never started (nothing of it ran,
 * so no cleanup runs either). Recorded only while it is still queued, in one transaction
 * with the look, so it cannot be admitted and cancelled at once.
 */
async function cancelQueued(options: ContinueOptions, state: RunState, reason: string): Promise<RunResult> {
  const { store, runId } = options;
  const at = (options.now ?? Date.now)();
  await store.runs.decideQueue((queue) => (queue.queued.some((run) => run.id === runId) ? [{ runId, events: [{ type: 'RunCancelled', reason, at }] }] : []));
  await store.runs.releaseRun(runId, options.owner);
  for (const event of await store.runs.readEvents(runId, state.lastSeq)) state.apply(event);
  return { runId, state };
}

/** A queued run taken over by a process that waits for its turn (Admission.wait); its status after. */
async function waitInQueue(options: ContinueOptions, state: RunState): Promise<RunState['status']> {
  const { store, runId, owner, signal, interrupt } = options;
  const events = await store.runs.readEvents(runId);
  const queued = events.findLast((event) => event.type === 'RunQueued');
  if (queued?.type !== 'RunQueued') return state.status;
  // The runs it asked to cancel when it was queued (cancel-running) are not asked again.
  const { cancelling: _asked, ...again } = queued;
  const turn = { store, runId, owner, afterSeq: events[events.length - 1].seq, queued: again, ...(signal ? { signal } : {}), ...(interrupt ? { interrupt } : {}) };
  for (const event of await options.admission!.wait!(turn)) {
    state.apply(event);
    options.onEvent?.(event, state);
  }
  return state.status;
}

function checkStatus(record: RunRecord, mode: ContinueMode, canWait = false): void {
  if (record.status === 'queued' && mode.kind !== 'cancel' && !(mode.kind === 'resume' && canWait)) {
    throw new EngineError('RUN_QUEUED', `run ${record.id} is queued: it starts in its turn (\`baton status ${record.id}\` shows its place); cancel it with \`baton cancel ${record.id}\``, {
      details: { run: record.id },
    });
  }
  const finished = FINISHED_RUN_STATUSES.has(record.status);
  if (mode.kind === 'retry' && !finished) {
    throw new EngineError('RUN_NOT_FINISHED', `run ${record.id} has not finished (${record.status}); resume it with \`baton resume ${record.id}\`, or cancel it first`, {
      details: { run: record.id },
    });
  }
  if (mode.kind !== 'retry' && finished) {
    const hint = record.status === 'succeeded' ? `re-run part of it with \`baton retry ${record.id} --from <task>\`` : `retry what failed with \`baton retry ${record.id}\``;
    throw new EngineError('RUN_FINISHED', `run ${record.id} already ${record.status}; nothing to ${mode.kind}: ${hint}`, {
      details: { run: record.id, status: record.status },
    });
  }
}

function held(record: RunRecord, now: number): EngineError {
  const owner = record.owner;
  const seen = record.heartbeat_at !== undefined ? `, last heartbeat ${Math.max(0, Math.round((now - record.heartbeat_at) / 1000))}s ago` : '';
  const who = owner ? `pid ${owner.pid} on ${owner.host}${seen}` : 'another process';
  return new EngineError('RUN_HELD', `run ${record.id} is being driven by ${who}; stop that process first, or cancel the run with \`baton cancel ${record.id}\``, {
    details: { run: record.id, owner },
  });
}
