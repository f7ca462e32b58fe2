/**
 * A workflow task's child run (`workflow: deploy.yaml`): the file, relative to the parent's
 * folder, runs as a child run in the same store (child-run.ts), with the task's inputs; its
 * `outputs:` are the task's outputs.
 *
 * Cancellation goes both ways. The parent cancelled (or the task timed out): the attempt's
 * signal cancels the child. The child cancelled on its own (`baton cancel <child>`): the
 * task fails with RUN_CHILD_CANCELLED, and is not retried, nor is the child run again by a
 * later attempt or a resume of the parent: someone stopped it on purpose. `baton retry` of
 * the parent starts a new child.
 */
import path from 'node:path';
import { BatonError } from '../observability/errors.js';
import { fileKind } from '../spec/file-kind.js';
import { runChild, type ChildRunResult } from './child-run.js';
import { EngineError } from './errors.js';
import type { DriveOptions } from './runner.js';

export interface WorkflowCall {
  /** The child run's id, chosen by the caller and kept across attempts (store/ids.ts taskChildRunId). */
  childId: string;
  /** As the task says it: relative to `baseDir`. */
  file: string;
  inputs: Record<string, unknown>;
  /** The parent's folder. */
  baseDir: string;
  signal: AbortSignal;
}

export async function runWorkflowTask(options: DriveOptions, call: WorkflowCall): Promise<ChildRunResult> {
  const { childId, signal } = call;
  const file = path.resolve(call.baseDir, call.file);
  const before = await options.store.runs.getRun(childId);
  if (before?.status === 'cancelled') throw cancelledAlone(childId, call.file);
  try {
    return await runChild(options, childId, { file, kind: fileKind(file), baseDir: path.dirname(file), label: call.file }, call.inputs, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    // runChild's own failure (a StepError, coded but no BatonError).
    if ((err as { code?: unknown } | null)?.code === 'RUN_CHILD_FAILED' && (await options.store.runs.getRun(childId))?.status === 'cancelled') throw cancelledAlone(childId, call.file);
    // Inputs the child does not take are found before its run starts: say whose inputs they are.
    if (err instanceof BatonError && err.code.startsWith('INPUT_')) err.message = `workflow ${call.file}: ${err.message}`;
    throw err;
  }
}

function cancelledAlone(childId: string, file: string): EngineError {
  return new EngineError(
    'RUN_CHILD_CANCELLED',
    `child run ${childId} (${file}) was cancelled, not by this run; it is not run again: \`baton retry\` of this run starts a new child`,
    { details: { run: childId } },
  );
}
