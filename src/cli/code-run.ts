/**
 * `baton run` of a file that is code: a TypeScript/JavaScript workflow (flow.ts) or a
 * script in any language (deploy.sh) whose `baton step`s are durable. Loaded here, driven
 * by the same run session as a workflow file (engine/steps/).
 */
import path from 'node:path';
import { runWorkflow } from '../engine/runner.js';
import { currentOwner } from '../store/ownership.js';
import { parsePairs, parsePositiveInt } from './args.js';
import { driveRun, type ViewFlags } from './drive.js';
import { openCliStore, type StoreFlags } from './store.js';
import { loadCode } from '../sdk/load-code.js';

export interface CodeRunFlags extends ViewFlags, StoreFlags {
  input?: string[];
  env?: string[];
  concurrency?: string;
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
