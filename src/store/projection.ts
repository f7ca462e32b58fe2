import type { RunStatus, StepInfo, TaskError, TimedEvent, WaitAnswer } from './events.js';
import { expansionKeys } from './expansion.js';
import type { ProgressReport, TaskRecord } from './store.js';

/** The run status an event moves a run to, if it changes it. Shared by every store. */
export function statusAfter(event: TimedEvent): RunStatus | undefined {
  switch (event.type) {
    case 'RunCreated':
    case 'RunAdmitted':
      return 'pending';
    case 'RunQueued':
      return 'queued';
    case 'RunStarted':
    case 'RunReopened':
    case 'RunResumed':
    case 'RunWoke':
      return 'running';
    case 'RunWaiting':
      return 'waiting';
    case 'RunSucceeded':
      return 'succeeded';
    case 'RunFailed':
      return 'failed';
    case 'RunCancelled':
      return 'cancelled';
    default:
      return undefined;
  }
}

/** The kinds of code-run tasks that wait rather than run (StepInfo). */
export function isWait(kind: StepInfo['kind']): kind is 'sleep' | 'approval' | 'event' {
  return kind === 'sleep' || kind === 'approval' || kind === 'event';
}

/**
 * What an answer makes of the wait it answers: a rejected approval fails it, anything else
 * succeeds with these outputs. One rule for the projection and the engine's state.
 */
export function answerOutcome(answer: WaitAnswer): { ok: true; outputs: Record<string, unknown> } | { ok: false; error: TaskError } {
  if (answer.approved === false) {
    const by = answer.by ? ` by ${answer.by}` : '';
    const comment = answer.comment ? `: ${answer.comment}` : '';
    return { ok: false, error: { code: 'APPROVAL_REJECTED', message: `rejected${by}${comment}` } };
  }
  if (answer.approved === true) return { ok: true, outputs: { approved: true, ...(answer.comment ? { comment: answer.comment } : {}), ...(answer.by ? { by: answer.by } : {}) } };
  return { ok: true, outputs: { event: answer.event, data: answer.data } };
}

export const FINISHED_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The task rows an event changes, as the projection keeps them. `get` returns the current
 * row of a task (undefined before its first event); the result lists the rows to write.
 * Every store folds events through this one function, so their projections agree, and
 * rebuilding from the log gives the same rows as keeping them up to date.
 */
export function projectTasks(event: TimedEvent, get: (key: string) => TaskRecord | undefined): TaskRecord[] {
  const row = (key: string): TaskRecord => get(key) ?? { key, status: 'pending', attempt: 0 };
  switch (event.type) {
    case 'RunCreated':
      return staticTaskKeys(event.workflow).map((key) => row(key));
    case 'TaskReady':
    case 'TaskInterrupted':
      return [{ ...row(event.task), status: 'ready', retry_at: undefined }];
    case 'TaskStarted': {
      const task = row(event.task);
      return [
        {
          ...task,
          status: event.step && isWait(event.step.kind) ? 'waiting' : 'running',
          attempt: event.attempt,
          started_at: event.at,
          first_started_at: task.first_started_at ?? event.at,
          ended_at: undefined,
          retry_at: undefined,
          // A new attempt starts over.
          progress: undefined,
        },
      ];
    }
    case 'TaskProgress': {
      // Only the attempt that runs: a report of an earlier attempt, or one after the attempt
      // ended, changes nothing.
      const task = get(event.task);
      if (task === undefined || task.attempt !== event.attempt || (task.status !== 'running' && task.status !== 'waiting')) return [];
      return [{ ...task, progress: progressOf(event) }];
    }
    case 'TaskExpanded':
      return expansionKeys(event).filter((key) => get(key) === undefined).map((key) => row(key));
    case 'TaskSucceeded':
      return [
        { ...row(event.task), status: 'succeeded', outputs: event.outputs, exit_code: event.exit_code, error: undefined, ended_at: event.at },
      ];
    case 'TaskFailed':
      return [{ ...row(event.task), status: 'failed', error: event.error, exit_code: event.error.exit_code, outputs: event.outputs, ended_at: event.at }];
    case 'WaitAnswered': {
      const task = row(event.task);
      // A workflow file's answer is taken up by its driver, whose events end the task.
      if (task.status !== 'waiting' || event.deferred) return [];
      const outcome = answerOutcome(event.answer);
      return [outcome.ok ? { ...task, status: 'succeeded', outputs: outcome.outputs, ended_at: event.at } : { ...task, status: 'failed', error: outcome.error, ended_at: event.at }];
    }
    case 'TaskPaused':
      return [{ ...row(event.task), status: 'waiting', error: event.error, exit_code: event.error.exit_code }];
    case 'TaskRetryScheduled':
      return [{ ...row(event.task), status: 'retrying', retry_at: event.at_due }];
    case 'TaskSkipped':
    case 'TaskCancelled':
      return [{ ...row(event.task), status: event.type === 'TaskSkipped' ? 'skipped' : 'cancelled', reason: event.reason, ended_at: event.at }];
    case 'RunReopened':
      return event.tasks.map((key) => ({
        ...row(key),
        status: 'pending' as const,
        ended_at: undefined,
        error: undefined,
        reason: undefined,
        outputs: undefined,
        exit_code: undefined,
        retry_at: undefined,
        progress: undefined,
      }));
    default:
      return [];
  }
}

/**
 * The keys of a workflow's static tasks in file order, parents before their children, so
 * the projection lists every task from the start (loop iterations join when they expand).
 * Read from the snapshot's JSON shape (spec/model.ts) without depending on the spec layer.
 */
function staticTaskKeys(workflow: unknown): string[] {
  const keys: string[] = [];
  type RawTask = { id?: unknown; tasks?: unknown; then?: unknown; else?: unknown };
  const visit = (task: unknown) => {
    if (task === null || typeof task !== 'object') return;
    const t = task as RawTask;
    if (typeof t.id === 'string') keys.push(t.id);
    if (Array.isArray(t.tasks)) t.tasks.forEach(visit);
    visit(t.then);
    visit(t.else);
  };
  const tasks = (workflow as { tasks?: unknown } | null)?.tasks;
  if (Array.isArray(tasks)) tasks.forEach(visit);
  return keys;
}

/** A TaskProgress event as the task row keeps it: only the fields it has, and when. */
export function progressOf(event: Extract<TimedEvent, { type: 'TaskProgress' }>): ProgressReport {
  const report: ProgressReport = { at: event.at };
  if (event.percent !== undefined) report.percent = event.percent;
  if (event.done !== undefined) report.done = event.done;
  if (event.total !== undefined) report.total = event.total;
  if (event.message !== undefined) report.message = event.message;
  return report;
}
