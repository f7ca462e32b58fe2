import path from 'node:path';
import { runWorkflow, type RunOptions } from '../engine/runner.js';
import { currentOwner } from '../store/ownership.js';
import { parsePairs, parsePositiveInt } from './args.js';
import { driveRun, type ViewFlags } from './drive.js';
import { openCliStore, type StoreFlags } from './store.js';

export interface NewRunFlags extends ViewFlags, StoreFlags {
  input?: string[];
  env?: string[];
  concurrency?: string;
}

/**
 * `baton run` once the file is loaded, for a workflow file and for code alike: a new run
 * in the store, driven with the progress view, signals and the summary.
 */
export async function driveNewRun(
  file: string,
  flags: NewRunFlags,
  what: Pick<RunOptions, 'workflow' | 'code' | 'programs'> & { source: { file: string; sha256: string } },
): Promise<number> {
  // A bad --input or --concurrency throws: reportFatal says so, with its code (and in --json).
  const inputs = parsePairs(flags.input, '--input');
  const env = parsePairs(flags.env, '--env');
  const concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
  const store = await openCliStore(flags, { create: true });
  const durable = store.location !== 'memory';
  try {
    const { exitCode } = await driveRun(flags, { file, durable }, (hooks) =>
      runWorkflow({ store, owner: currentOwner(), ...what, baseDir: path.dirname(what.source.file), inputs, env, concurrency, ...hooks }),
    );
    return exitCode;
  } finally {
    await store.close();
  }
}
