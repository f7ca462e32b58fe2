/**
 * `ctx.step(id, fn, { compensate })` (docs/code-workflows.md#compensation): a step that
 * changes something says how to undo it. When the workflow function then fails (not by a
 * cancel), the compensations of the steps that succeeded run, the last to succeed first,
 * each as the durable step `compensate[<key>]` with the step's result; a failing one (after
 * its retries) stops the rest. The run still fails with the function's error, and records
 * how the undoing went (RunFailed.compensation), as a workflow file's compensations do
 * (engine/compensation.ts).
 *
 * On a resume the code runs again: the steps it passes register their compensations again,
 * it fails again at the same point, and the compensations recorded as done are not run again.
 */
import type { StepAttempt, StepHost, StepOptions as HostStepOptions } from '../engine/steps/program.js';
import { StepFailed } from '../engine/steps/results.js';
import type { Compensation } from '../store/events.js';

export interface Registered {
  key: string;
  result: unknown;
  undo: (attempt: StepAttempt) => unknown;
  options: HostStepOptions;
}

export class Compensations {
  private readonly done: Registered[] = [];

  /** A step with `compensate` succeeded (or gave its recorded result). */
  add(registered: Registered): void {
    this.done.push(registered);
  }

  /** After the function failed with `error`: undoes what succeeded, unless the run is being cancelled. */
  async undo(host: StepHost, error: unknown): Promise<void> {
    if (this.done.length === 0 || cancelledRun(error)) return;
    const order = [...this.done].reverse();
    const tasks = order.map((r) => r.key);
    for (const step of order) {
      try {
        await host.step(`compensate[${step.key}]`, step.options, step.undo);
      } catch {
        return host.compensated?.({ status: 'compensation_failed', tasks, failed: step.key });
      }
    }
    host.compensated?.({ status: 'compensated', tasks } satisfies Compensation);
  }
}

/** The function failed because the run is being cancelled: nothing is undone (baton cancel --compensate is for files). */
function cancelledRun(error: unknown): boolean {
  return error instanceof StepFailed && error.taskError.code === 'STEP_CANCELLED';
}
