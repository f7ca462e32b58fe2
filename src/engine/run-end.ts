/**
 * How a graph run ends once nothing of it is open: the one event that says so. Timed out
 * or cancelled as asked; failed when a task failed that may not (continue_on_error); else
 * succeeded, with the workflow's `outputs:` as its result. An output that cannot be
 * evaluated (fromJSON of text that is not JSON) fails the run instead: a caller must never
 * read a result that is quietly missing a value.
 */
import { renderTemplate } from '../expr/index.js';
import type { RunEvent } from '../store/events.js';
import { listKeys } from './reasons.js';
import type { ScopeBuilder } from './scope.js';
import type { RunState } from './state.js';
import type { Upstream } from './upstream.js';

export function runEndEvent(state: RunState, scopes: ScopeBuilder, upstream: Upstream, timedOut: boolean): RunEvent {
  if (timedOut) return { type: 'RunFailed', error: { code: 'RUN_TIMEOUT', message: 'the run exceeded its time limit' } };
  if (state.cancelRequested !== undefined) return { type: 'RunCancelled', reason: state.cancelRequested };
  const failed = [...state.tasks].filter(([key, t]) => t.status === 'failed' && !upstream.failedButContinues(key)).map(([key]) => key);
  if (failed.length > 0) {
    return { type: 'RunFailed', error: { code: 'RUN_TASKS_FAILED', message: `${failed.length} task${failed.length === 1 ? '' : 's'} failed: ${listKeys(failed, 5)}` } };
  }
  const templates = state.plan.workflow.outputs;
  if (templates === undefined) return { type: 'RunSucceeded' };
  const scope = scopes.forTask('');
  const result: Record<string, unknown> = {};
  for (const [name, template] of Object.entries(templates)) {
    try {
      result[name] = renderTemplate(template, scope);
    } catch (error) {
      const message = `the workflow's output '${name}' could not be evaluated: ${error instanceof Error ? error.message : String(error)}`;
      return { type: 'RunFailed', error: { code: 'RUN_OUTPUTS', message } };
    }
  }
  return { type: 'RunSucceeded', result };
}
