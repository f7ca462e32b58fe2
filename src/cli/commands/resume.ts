import { existsSync, readFileSync } from 'node:fs';
import { continueStoredRun, type ContinueMode } from '../../engine/resume.js';
import type { RunState } from '../../engine/state.js';
import { BatonError } from '../../observability/errors.js';
import { workflowTextHash } from '../../spec/text-hash.js';
import { currentOwner, displayStatus } from '../../store/ownership.js';
import type { Store } from '../../store/store.js';
import { parsePositiveInt } from '../args.js';
import { driveRun, type ViewFlags } from '../drive.js';
import { EXIT, exitCodeOf } from '../exit.js';
import { visible } from '../render/visible.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { programs } from '../code-run.js';
import { originOf, type OriginFlags } from '../origin.js';

export interface ContinueFlags extends ViewFlags, StoreFlags, OriginFlags {
  concurrency?: string;
}

/** `baton resume <run-id>` (alias `recover`): go on with an interrupted run. */
export default async function resume(runId: string, flags: ContinueFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    return await continueOne(store, await store.runs.resolveRunId(runId), flags, { kind: 'resume' });
  } finally {
    await store.close();
  }
}

/** `baton run --resume-interrupted`: every interrupted run, one after another. */
export async function resumeAll(flags: ContinueFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const runs = await store.runs.listRuns({ limit: 10_000 });
    const interrupted = runs.filter((run) => displayStatus(run) === 'interrupted').reverse();
    // And code runs left waiting for a sleep, or past a wait's timeout, that nobody drives.
    const { dueWaitingRuns } = await import('../../engine/steps/answer.js');
    for (const id of (await dueWaitingRuns(store.runs)).reverse()) interrupted.push((await store.runs.getRun(id))!);
    if (interrupted.length === 0) {
      process.stderr.write('baton: no interrupted runs to resume\n');
      return EXIT.ok;
    }
    process.stderr.write(`baton: resuming ${interrupted.length} interrupted run${interrupted.length === 1 ? '' : 's'}\n`);
    let worst: number = EXIT.ok;
    for (const run of interrupted) {
      let code: number;
      try {
        code = await continueOne(store, run.id, flags, { kind: 'resume' });
      } catch (err) {
        // One run another process took meanwhile, or with a missing secret, must not stop the rest.
        if (!(err instanceof BatonError)) throw err;
        process.stderr.write(`baton: run ${run.id}: ${visible(err.message, { lines: true })} [${err.code}]\n`);
        code = exitCodeOf(err);
      }
      // A run that failed, or could not be resumed, outweighs one that succeeded or was cancelled.
      if (worst === EXIT.ok || (code !== EXIT.ok && code !== EXIT.cancelled)) worst = code;
    }
    return worst;
  } finally {
    await store.close();
  }
}

/** Claims a stored run and drives it with the usual view and summary. */
export async function continueOne(store: Store, runId: string, flags: ContinueFlags, mode: ContinueMode): Promise<number> {
  const concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
  try {
    const { exitCode } = await driveRun(flags, { durable: store.location !== 'memory' }, (hooks) =>
      continueStoredRun(
        {
          store,
          runId,
          owner: currentOwner(),
          ...(concurrency !== undefined ? { concurrency } : {}),
          ...hooks,
          programs,
          ...originOf(flags),
          onLoaded: (state) => noteChangedFile(state),
        },
        mode,
      ),
    );
    return exitCode;
  } catch (err) {
    if (err instanceof BatonError && err.code.startsWith('INPUT_')) {
      process.stderr.write(`baton: run ${runId}: ${visible(err.message, { lines: true })}\n`);
      return exitCodeOf(err);
    }
    throw err;
  }
}

/** Resume runs the workflow as it was when the run started; say so when the file has changed since. */
function noteChangedFile(state: RunState): void {
  const source = state.code ?? state.source;
  if (!source) return;
  const what = state.code ? 'code' : 'workflow';
  if (!existsSync(source.file)) {
    process.stderr.write(`baton: note: ${source.file} no longer exists; going on with the ${what} as it was when run ${state.runId} started\n`);
    return;
  }
  if (workflowTextHash(readFileSync(source.file, 'utf8')) !== source.sha256) {
    const newer = state.code ? '`baton retry --new-code` to take the new version' : 'start a new run to use the new version';
    process.stderr.write(`baton: note: ${source.file} changed since run ${state.runId} started; going on with the ${what} as it was then (${newer})\n`);
  }
}
