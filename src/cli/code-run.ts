/**
 * `baton run` of a file that is code: a TypeScript/JavaScript workflow (flow.ts) or a
 * script in any language (deploy.sh) whose `baton step`s are durable. Loaded here, driven
 * by the same run session as a workflow file (engine/steps/).
 */
import path from 'node:path';
import { runWorkflow } from '../engine/runner.js';
import type { CodeSnapshot } from '../store/events.js';
import { currentOwner } from '../store/ownership.js';
import type { Workflow } from '../spec/model.js';
import { parsePairs, parsePositiveInt } from './args.js';
import { driveRun, type ViewFlags } from './drive.js';
import { openCliStore, type StoreFlags } from './store.js';

export interface CodeRunFlags extends ViewFlags, StoreFlags {
  input?: string[];
  env?: string[];
  concurrency?: string;
}

/** What a code file is: its workflow (name, inputs) and the snapshot its run keeps. */
export interface LoadedCode {
  workflow: Workflow;
  code: CodeSnapshot;
}

/** Loads a code file for a run: a TypeScript/JavaScript workflow, or a script. Throws CodeLoadError. */
export async function loadCode(file: string, kind: 'js' | 'script'): Promise<LoadedCode> {
  const { installSdk } = await import('../sdk/programs.js');
  if (kind === 'script') {
    const { scriptSnapshot, scriptWorkflow } = await import('../sdk/script-program.js');
    const code = scriptSnapshot(file);
    return { workflow: scriptWorkflow(code), code };
  }
  installSdk();
  const { loadWorkflowCode } = await import('../sdk/load.js');
  const { describeWorkflow } = await import('../sdk/workflow.js');
  const { snapshot, workflow } = await loadWorkflowCode(file);
  return { workflow: describeWorkflow(workflow as never, snapshot.file), code: snapshot };
}

/** The program of a code run's snapshot, for every command that drives one (DriveOptions.programs). */
export const programs: NonNullable<Parameters<typeof runWorkflow>[0]['programs']> = async (code, state) => {
  const { programFor } = await import('../sdk/programs.js');
  return programFor(code, state);
};

export async function runCode(file: string, kind: 'js' | 'script', flags: CodeRunFlags): Promise<number> {
  const { workflow, code } = await loadCode(file, kind);
  const inputs = parsePairs(flags.input, '--input');
  const env = parsePairs(flags.env, '--env');
  const concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
  const store = await openCliStore(flags, { create: true });
  const durable = store.location !== 'memory';
  try {
    const { exitCode } = await driveRun(flags, { file, durable }, (hooks) =>
      runWorkflow({
        store,
        owner: currentOwner(),
        workflow,
        code,
        programs,
        baseDir: path.dirname(code.file),
        source: { file: code.file, sha256: code.sha256 },
        inputs,
        env,
        concurrency,
        ...hooks,
      }),
    );
    return exitCode;
  } finally {
    await store.close();
  }
}
