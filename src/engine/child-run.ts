import path from 'node:path';
import { formatDiagnostic, loadWorkflowFile } from '../../spec/index.js';
import { WorkflowInvalidError } from '../../spec/errors.js';
import { FINISHED_RUN_STATUSES } from '../../store/projection.js';
import type { TaskError } from '../../store/events.js';
import { continueStoredRun, type ContinueMode } from '../resume.js';
import { runWorkflow, type DriveOptions } from '../runner.js';
import type { RunState } from '../state.js';
import type { StepAttempt } from './program.js';
import { StepError } from './results.js';

/** What `ctx.run` gives back: the child run, how it ended, and its tasks' outputs. */
export interface ChildRunResult {
  run_id: string;
  status: string;
  outputs: Record<string, Record<string, unknown>>;
}

/**
 * Runs a workflow file as a child run of a code run's step (`ctx.run('deploy.yaml', inputs)`),
 * in the same store. The child's id is chosen when the step first starts and recorded with
 * it, so an attempt after a crash or a retry goes on with the same child run (resumed, or
 * its failures retried) instead of starting another; a child that already succeeded gives
 * its result at once.
 */
export async function runChild(
  options: DriveOptions,
  childId: string,
  file: string,
  inputs: Record<string, unknown>,
  attempt: StepAttempt,
): Promise<ChildRunResult> {
  const store = options.store;
  const record = await store.runs.getRun(childId);
  const signals = childSignals(attempt.signal);
  const drive: DriveOptions = { store, ...(options.owner ? { owner: options.owner } : {}), ...(options.programs ? { programs: options.programs } : {}), ...signals };
  let state: RunState;
  if (record === undefined) {
    const loaded = await loadWorkflowFile(file);
    if (!loaded.workflow) {
      const first = loaded.diagnostics.find((d) => d.severity === 'error');
      throw Object.assign(new WorkflowInvalidError(file, loaded.diagnostics), {
        retryable: false,
        message: `${file} is not a valid workflow${first ? `: ${formatDiagnostic(first)}` : ''}`,
      });
    }
    const source = { file: path.resolve(file), sha256: loaded.sha256! };
    state = (await runWorkflow({ ...drive, runId: childId, workflow: loaded.workflow, baseDir: path.dirname(source.file), source, inputs })).state;
  } else if (record.status === 'succeeded') {
    const { loadRun } = await import('../resume.js');
    state = await loadRun(store.runs, childId);
  } else {
    const mode: ContinueMode = FINISHED_RUN_STATUSES.has(record.status) ? { kind: 'retry' } : { kind: 'resume' };
    state = (await continueStoredRun({ ...drive, runId: childId, owner: options.owner ?? { host: 'baton', pid: process.pid, started_at: Date.now() } }, mode)).state;
  }
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [key, task] of state.tasks) if (task.outputs && Object.keys(task.outputs).length > 0) outputs[key] = task.outputs;
  if (state.status !== 'succeeded') {
    const error: TaskError = state.runError ?? { code: 'RUN_CHILD_FAILED', message: `child run ${childId} ${state.status}` };
    throw new StepError('RUN_CHILD_FAILED', `child run ${childId} (${path.basename(file)}) ${state.status}: ${error.message}`, false);
  }
  return { run_id: childId, status: state.status, outputs };
}

/** The step's signal as the child's: a cancel cancels it, an interrupt leaves it interrupted. */
function childSignals(signal: AbortSignal): Pick<DriveOptions, 'signal' | 'interrupt'> {
  const cancel = new AbortController();
  const interrupt = new AbortController();
  const pass = () => (signal.reason === 'interrupt' ? interrupt.abort() : cancel.abort());
  if (signal.aborted) pass();
  else signal.addEventListener('abort', pass, { once: true });
  return { signal: cancel.signal, interrupt: interrupt.signal };
}
