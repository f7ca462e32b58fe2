/**
 * Compensation (sagas, docs/engine.md#compensation): a task's `compensate:` undoes it. When
 * a run is about to end failed, or cancelled by `baton cancel --compensate`, the tasks that
 * had succeeded and have one are undone, the last to succeed first: the scheduler records
 * RunCompensating with that list and the end it was about to record, runs the
 * compensations as tasks `compensate[<task>]` one after another (each durable and retried
 * like any task; a failure stops the rest), then records that end with how it went.
 *
 * The run still ends `failed` (or `cancelled`): it did fail, and everything that looks for
 * failed runs (`baton history --status failed`, alerts, workflow_run triggers) must find it.
 * How the undoing went is on the end event (`compensation`), shown beside the status.
 */
import type { Compensation, RunEvent } from '../store/events.js';
import type { LeafTask } from '../spec/model.js';
import { compensationKey, type RunState } from './state.js';

type RunEnd = Extract<RunEvent, { type: 'RunSucceeded' | 'RunFailed' | 'RunCancelled' }>;

/** The tasks to undo before recording `end`, in the order their compensations run; none for a success or a plain cancel. */
export function toCompensate(state: RunState, end: RunEvent): string[] {
  const compensates = end.type === 'RunFailed' || (end.type === 'RunCancelled' && state.cancelCompensates);
  if (!compensates) return [];
  const done: Array<{ key: string; as: number }> = [];
  for (const [key, task] of state.tasks) {
    if (task.status !== 'succeeded' || task.succeededAs === undefined) continue;
    if ((state.nodes.get(key)?.spec as LeafTask | undefined)?.compensate === undefined) continue;
    done.push({ key, as: task.succeededAs });
  }
  return done.sort((a, b) => b.as - a.as).map((d) => d.key);
}

/** The end RunCompensating put off, with how its compensations went. */
export function compensatedEnd(state: RunState, compensating: Extract<RunEvent, { type: 'RunCompensating' }>): RunEnd {
  const failed = compensating.tasks.find((task) => state.tasks.get(compensationKey(task))?.status !== 'succeeded');
  const compensation: Compensation =
    failed === undefined ? { status: 'compensated', tasks: compensating.tasks } : { status: 'compensation_failed', tasks: compensating.tasks, failed };
  return { ...compensating.end, compensation };
}
