/**
 * What a run's end says, for notifications and alerts: its facts (status, duration, the
 * first failed task and its error) and the contexts alert conditions and templates read.
 * Pure: the state is the run's after its end event was applied.
 *
 * Contexts (docs/observability.md#alerts):
 * - `execution`: id, status, duration (ms of active time), duration_ratio (duration over
 *   the expected duration), started_at, ended_at, trigger, namespace, failed_task, error,
 *   tasks_failed, retries.
 * - `workflow`: name, expected_duration (ms: the workflow's own, else the median of its
 *   recent finished runs, else null).
 * - `metrics`: the workflow's recent runs (notifications/stats.ts), read only when a rule uses it.
 * - `error`: the run's error {code, message}, or the first failed task's.
 * - `alert`: the rule's name (in templates).
 */
import { activeMs } from '../../store/active-time.js';
import type { TaskError, TimedEvent } from '../../store/events.js';
import type { RunState } from '../../engine/state.js';
import type { WorkflowStats } from './stats.js';

export type EndStatus = 'succeeded' | 'failed' | 'cancelled';

export interface RunEndFacts {
  runId: string;
  namespace: string;
  workflow: string;
  status: EndStatus;
  /** When it ended (the end event's time). */
  at: number;
  startedAt: number;
  durationMs: number;
  trigger?: string;
  /** The run's error, or its first failed task's. */
  error?: TaskError;
  failedTask?: string;
  tasksFailed: number;
  /** Attempts beyond the first, over every task. */
  retries: number;
}

/** The end event of a run, if `event` is one. */
export function endStatusOf(event: TimedEvent): EndStatus | undefined {
  if (event.type === 'RunSucceeded') return 'succeeded';
  if (event.type === 'RunFailed') return 'failed';
  if (event.type === 'RunCancelled') return 'cancelled';
  return undefined;
}

export function runEndFacts(state: RunState, end: TimedEvent, status: EndStatus): RunEndFacts {
  let failedTask: string | undefined;
  let firstEnd = Infinity;
  let tasksFailed = 0;
  let retries = 0;
  for (const [key, task] of state.tasks) {
    retries += Math.max(0, task.attempt - 1);
    if (task.status !== 'failed') continue;
    tasksFailed++;
    // The first to fail is what a person reading the message wants to look at first.
    const ended = task.endedAt ?? Infinity;
    if (failedTask === undefined || ended < firstEnd) {
      failedTask = key;
      firstEnd = ended;
    }
  }
  const taskError = failedTask === undefined ? undefined : state.tasks.get(failedTask)?.error;
  const runError = end.type === 'RunFailed' ? end.error : undefined;
  // A task's error says more than "1 task failed: b".
  const error = runError?.code === 'RUN_TASKS_FAILED' && taskError ? taskError : (runError ?? taskError);
  const facts: RunEndFacts = {
    runId: state.runId,
    namespace: state.namespace,
    workflow: state.plan.workflow.name,
    status,
    at: end.at,
    startedAt: state.startedAt ?? state.createdAt,
    durationMs: activeMs(state.activity, end.at),
    tasksFailed,
    retries,
  };
  if (state.trigger) facts.trigger = state.trigger.type;
  if (error) facts.error = error;
  if (failedTask !== undefined) facts.failedTask = failedTask;
  return facts;
}

/** The contexts of an alert's condition and template. */
export function alertContexts(facts: RunEndFacts, expectedMs: number | undefined, stats: WorkflowStats | undefined, alert?: string): Record<string, unknown> {
  const error = facts.error ? { code: facts.error.code, message: facts.error.message, ...(facts.error.exit_code === undefined ? {} : { exit_code: facts.error.exit_code }) } : null;
  return {
    execution: {
      id: facts.runId,
      status: facts.status,
      duration: facts.durationMs,
      duration_ratio: expectedMs ? facts.durationMs / expectedMs : null,
      started_at: new Date(facts.startedAt).toISOString(),
      ended_at: new Date(facts.at).toISOString(),
      trigger: facts.trigger ?? null,
      namespace: facts.namespace,
      failed_task: facts.failedTask ?? null,
      error,
      tasks_failed: facts.tasksFailed,
      retries: facts.retries,
    },
    workflow: { name: facts.workflow, expected_duration: expectedMs ?? null },
    metrics: stats ? statsContext(stats) : {},
    error: error ?? {},
    alert: alert === undefined ? {} : { name: alert },
  };
}

/** The metrics context: snake_case as documented, and seed 004's camelCase (`metrics.successRate`). */
function statsContext(stats: WorkflowStats): Record<string, unknown> {
  return {
    runs: stats.runs,
    succeeded: stats.succeeded,
    failed: stats.failed,
    failures: stats.failed,
    success_rate: stats.success_rate,
    successRate: stats.success_rate,
    duration_p50: stats.p50_ms,
    duration_p95: stats.p95_ms,
    average_duration: stats.avg_ms,
    averageDuration: stats.avg_ms,
    window: stats.window_ms,
  };
}
