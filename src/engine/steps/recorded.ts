import { isWait } from '../../store/projection.js';
import type { RunState } from '../state.js';
import { cancelled } from './outcomes.js';
import { StepFailed } from './results.js';

/**
 * What the history recorded for an ended step (or wait), as the code gets it: its value,
 * or the failure or cancellation its `await` throws. The same for the driver replaying a
 * run and for a worker running the code again up to a remote step (replay-host.ts).
 */
export function recordedResult(state: RunState, key: string): Promise<unknown> {
  const task = state.task(key);
  if (task.status === 'succeeded') return Promise.resolve(task.outputs?.value ?? outputsOfWait(state, key, task.outputs));
  if (task.status === 'failed') return Promise.reject(new StepFailed(key, task.error ?? { code: 'STEP_FAILED', message: 'failed' }));
  return Promise.reject(cancelled(key, task.reason ?? 'cancelled'));
}

/** A wait's recorded outputs; a sleep has none. */
function outputsOfWait(state: RunState, key: string, outputs: Record<string, unknown> | undefined): unknown {
  const kind = state.nodes.get(key)?.step?.kind;
  return kind !== undefined && isWait(kind) ? (outputs ?? {}) : undefined;
}
