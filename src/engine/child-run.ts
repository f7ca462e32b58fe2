import path from 'node:path';
import type { Workflow } from '../spec/model.js';
import { formatDiagnostic, loadWorkflowFile } from '../spec/index.js';
import { WorkflowInvalidError } from '../spec/errors.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import { LEASE_MS } from '../store/store.js';
import { errorCode } from '../observability/errors.js';
import type { CodeSnapshot, TaskError } from '../store/events.js';
import { continueStoredRun, type ContinueMode } from './resume.js';
import { runWorkflow, type DriveOptions } from './runner.js';
import type { RunState } from './state.js';
import { StepError } from './steps/results.js';

/** What a child run gives back: its id, how it ended, its result and its tasks' outputs. */
export interface ChildRunResult {
  run_id: string;
  status: string;
  /** The workflow's `outputs:`, or what a TypeScript workflow returned; undefined when it has none. */
  result?: unknown;
  outputs: Record<string, Record<string, unknown>>;
}

/** What a child run runs: a workflow file, a TypeScript workflow or a script, and how. */
export interface ChildTarget {
  file: string;
  kind: 'workflow' | 'js' | 'script';
  /** The folder its tasks run in (and relative paths resolve against). */
  baseDir: string;
  /** Environment for its processes, on top of the workflow's (a skill's BATON_SKILL_DIR, INPUT_*). */
  env?: Record<string, string>;
  /** What to call it in messages (`deploy.yaml`, `skill http-health-check`). */
  label: string;
}

/** A code file loaded for a run (sdk/load-code.ts); the front end passes it, as it does `programs`. */
export type CodeLoader = (file: string, kind: 'js' | 'script') => Promise<{ workflow: Workflow; code: CodeSnapshot }>;

/**
 * Runs a child run in the same store: a code run's `ctx.run` and `ctx.skill`, a workflow's
 * `uses:`. The caller chooses the child's id before it starts and keeps it (recorded with
 * the step, or derived from the task), so an attempt after a crash or a retry goes on with
 * the same child run (resumed, or its failures retried) instead of starting another; a
 * child that already succeeded gives its result at once. The inputs are checked against
 * what the child declares before anything of it is recorded.
 */
export async function runChild(
  options: DriveOptions,
  childId: string,
  target: ChildTarget,
  inputs: Record<string, unknown>,
  signal: AbortSignal,
): Promise<ChildRunResult> {
  const store = options.store;
  const record = await store.runs.getRun(childId);
  const drive: DriveOptions = { ...inherited(options), ...childSignals(signal) };
  let state: RunState;
  if (record === undefined) {
    const loaded = await loadTarget(options, target);
    const source = { file: path.resolve(loaded.file), sha256: loaded.sha256 };
    state = (
      await runWorkflow({
        ...drive,
        runId: childId,
        workflow: loaded.workflow,
        ...(loaded.code ? { code: loaded.code } : {}),
        baseDir: target.baseDir,
        source,
        inputs,
        ...(target.env ? { env: target.env } : {}),
      })
    ).state;
  } else if (record.status === 'succeeded') {
    const { loadRun } = await import('./resume.js');
    state = await loadRun(store.runs, childId);
  } else {
    const mode: ContinueMode = FINISHED_RUN_STATUSES.has(record.status) ? { kind: 'retry' } : { kind: 'resume' };
    const owner = options.owner ?? { host: 'baton', pid: process.pid, started_at: Date.now() };
    state = (await heldUntilFree(options, signal, () => continueStoredRun({ ...drive, runId: childId, owner }, mode))).state;
  }
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [key, task] of state.tasks) if (task.outputs && Object.keys(task.outputs).length > 0) outputs[key] = task.outputs;
  if (state.status !== 'succeeded') {
    const error: TaskError = state.runError ?? { code: 'RUN_CHILD_FAILED', message: `child run ${childId} ${state.status}` };
    throw new StepError('RUN_CHILD_FAILED', `child run ${childId} (${target.label}) ${state.status}: ${error.message}${firstFailure(state)}`, false);
  }
  return { run_id: childId, status: state.status, ...(state.result === undefined ? {} : { result: state.result }), outputs };
}

/**
 * The first failed task of a child, as the caller needs it: its own words (the last line
 * of its stderr, where a skill's script says what went wrong and its code) rather than
 * only "1 task failed".
 */
function firstFailure(state: RunState): string {
  const said = (error: TaskError) => error.stderr_tail?.trimEnd().split('\n').at(-1)?.trim();
  const cut = (text: string) => (text.length > 500 ? `${text.slice(0, 500)}...` : text);
  for (const [key, task] of state.tasks) {
    if (task.status !== 'failed' || task.error === undefined) continue;
    return ` (${key}: ${cut(said(task.error) || `${task.error.message} [${task.error.code}]`)})`;
  }
  // A script's run fails as a whole: its own last words are the run's.
  const last = state.runError && said(state.runError);
  return last ? ` (${cut(last)})` : '';
}

/** What a child drives with from its parent: the store, the owner, how code is loaded, skills and channels found. */
function inherited(options: DriveOptions): DriveOptions {
  const out: DriveOptions = { store: options.store };
  if (options.owner) out.owner = options.owner;
  if (options.programs) out.programs = options.programs;
  if (options.loadCode) out.loadCode = options.loadCode;
  if (options.skills) out.skills = options.skills;
  if (options.channels) out.channels = options.channels;
  if (options.processEnv) out.processEnv = options.processEnv;
  if (options.sandbox) out.sandbox = options.sandbox;
  // A worker's children hold their claim as long as the worker's own (baton worker --lease).
  if (options.leaseMs !== undefined) out.leaseMs = options.leaseMs;
  return out;
}

/**
 * Goes on with a child that another process still holds: the process that ran the attempt
 * before died on another machine, and its claim on the child runs until its lease does (on
 * this machine, a dead holder is seen at once). Tried again until then, and a little after;
 * a holder still alive past that is RUN_HELD.
 */
async function heldUntilFree<T>(options: DriveOptions, signal: AbortSignal, go: () => Promise<T>): Promise<T> {
  const giveUp = Date.now() + 2 * (options.leaseMs ?? LEASE_MS);
  for (;;) {
    try {
      return await go();
    } catch (err) {
      if (errorCode(err) !== 'RUN_HELD' || Date.now() > giveUp || signal.aborted) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, HELD_RETRY_MS));
  }
}

/** How often a child held by a process that may be gone is tried again. */
const HELD_RETRY_MS = 500;

async function loadTarget(options: DriveOptions, target: ChildTarget): Promise<{ file: string; sha256: string; workflow: Workflow; code?: CodeSnapshot }> {
  if (target.kind !== 'workflow') {
    if (!options.loadCode) throw new StepError('RUN_CHILD_CODE', `${target.label} is code (${path.basename(target.file)}), and this baton was started without a code loader`, false);
    const { workflow, code } = await options.loadCode(target.file, target.kind);
    return { file: code.file, sha256: code.sha256, workflow, code };
  }
  const loaded = await loadWorkflowFile(target.file, options.skills ? { skills: options.skills.lookup() } : {});
  if (!loaded.workflow) {
    const first = loaded.diagnostics.find((d) => d.severity === 'error');
    throw Object.assign(new WorkflowInvalidError(target.file, loaded.diagnostics), {
      retryable: false,
      message: `${target.file} is not a valid workflow${first ? `: ${formatDiagnostic(first)}` : ''}`,
    });
  }
  return { file: target.file, sha256: loaded.sha256!, workflow: loaded.workflow };
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
