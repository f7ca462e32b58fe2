import { continueStoredRun, type ContinueMode } from '../../engine/resume.js';
import type { RunState } from '../../engine/state.js';
import { BatonError } from '../../observability/errors.js';
import { sourceChangeNote } from '../../runs/source-change.js';
import { currentOwner, displayStatus } from '../../store/ownership.js';
import type { Store } from '../../store/store.js';
import { parsePositiveInt } from '../args.js';
import { driveRun, type ViewFlags } from '../drive.js';
import { EXIT, exitCodeOf } from '../exit.js';
import { visible } from '../render/visible.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { driveExtras } from '../code-run.js';
import { sendRunNotices } from '../run-notices.js';
import { originOf, type OriginFlags } from '../origin.js';
import { runInSandbox, sandboxHere } from '../sandbox.js';
import type { RunSandbox } from '../../store/events.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';
import { cliAdmission } from '../queue.js';
import { recordAudit } from '../../access/audit.js';
import { cliPrincipal } from '../audit.js';

export interface ContinueFlags extends ViewFlags, StoreFlags, OriginFlags, ServerFlags {
  concurrency?: string;
}

/** `--concurrency`, which a server does not take: it drives runs with the workflow's own. */
export function concurrencyRule(flags: ContinueFlags): [string, boolean, string] {
  return ['--concurrency', flags.concurrency !== undefined, "the server drives the run with the workflow's own `concurrency`"];
}

/** `baton resume <run-id>` (alias `recover`): go on with an interrupted run. */
export default async function resume(runId: string, flags: ContinueFlags): Promise<number> {
  const remote = await remoteFor(flags, { unsupported: [concurrencyRule(flags)] });
  if (remote) return (await import('../remote/act.js')).remoteResume(remote, runId, flags);
  const store = await openCliStore(flags);
  try {
    return await continueOne(store, await store.runs.resolveRunId(runId), flags, { kind: 'resume' }, { action: 'run.resume' });
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

/**
 * Claims a stored run and drives it with the usual view and summary. A run that started in
 * the sandbox goes on in it (cli/sandbox.ts): seen once its events are read, before anything
 * of it runs, this process lets it go and a baton in that sandbox takes it up.
 */
/**
 * Goes on with a stored run here. With `audit`, the request is recorded in the audit trail
 * once the run is claimed and checked (or refused, with why).
 */
export async function continueOne(store: Store, runId: string, flags: ContinueFlags, mode: CliMode, audit?: { action: string }): Promise<number> {
  let recorded = false;
  const record = (outcome: 'ok' | 'refused', error?: unknown) => {
    if (audit === undefined || recorded) return Promise.resolve();
    recorded = true;
    return recordAudit(store, cliPrincipal(flags), { action: audit.action, target: runId, outcome, ...(error === undefined ? {} : { error }), ...(mode.kind === 'retry' && mode.from ? { detail: { from: mode.from } } : {}) });
  };
  const concurrency = parsePositiveInt(flags.concurrency, '--concurrency');
  const outside = sandboxHere() === undefined;
  let enter: RunSandbox | undefined;
  // `--new-code` loads the file's code, top level included, before the events are looked at: look first.
  if (outside && mode.kind === 'retry' && mode.newCode) enter = (await store.runs.readEvents(runId)).find((e) => e.type === 'RunCreated')?.sandbox;
  if (enter) return continueInSandbox(enter, store, runId, flags, mode);
  try {
    const { exitCode, state } = await driveRun(flags, { durable: store.location !== 'memory' }, (hooks) =>
      continueStoredRun(
        {
          store,
          runId,
          owner: currentOwner(),
          ...(concurrency !== undefined ? { concurrency } : {}),
          // A queued run whose process is gone waits for its turn here.
          ...(mode.kind === 'resume' ? { admission: cliAdmission(store, undefined) } : {}),
          ...hooks,
          ...driveExtras(),
          ...originOf(flags),
          // Child runs it creates record the sandbox this process is in.
          ...(outside ? {} : { sandbox: sandboxHere() }),
          onLoaded: (state) => {
            if (outside && state.sandbox) {
              enter = state.sandbox;
              throw new GoInside();
            }
            noteChangedFile(state);
            void record('ok');
          },
        },
        mode,
      ),
    );
    await sendRunNotices(store, state?.runId);
    return exitCode;
  } catch (err) {
    if (err instanceof GoInside) return continueInSandbox(enter!, store, runId, flags, mode);
    await record('refused', err);
    if (err instanceof BatonError && err.code.startsWith('INPUT_')) {
      process.stderr.write(`baton: run ${runId}: ${visible(err.message, { lines: true })}\n`);
      return exitCodeOf(err);
    }
    throw err;
  }
}

/** Thrown by continueOne's onLoaded to let a sandboxed run go, before anything of it runs. */
class GoInside extends Error {}

/** What the commands go on with: a run they start is one they create (commands/run.ts). */
type CliMode = Exclude<ContinueMode, { kind: 'start' }>;

/** `baton resume`, `retry` or `cancel` of the run, in `sandbox`, with these flags; its exit code. */
function continueInSandbox(sandbox: RunSandbox, store: Store, runId: string, flags: ContinueFlags, mode: CliMode): Promise<number> {
  const args =
    mode.kind === 'resume'
      ? ['resume', runId]
      : mode.kind === 'retry'
        ? ['retry', runId, ...(mode.from === undefined ? [] : ['--from', mode.from]), ...(mode.newCode ? ['--new-code'] : [])]
        : ['cancel', runId, '--reason', mode.reason];
  if (flags.concurrency !== undefined) args.push('--concurrency', flags.concurrency);
  if (flags.json) args.push('--json');
  if (flags.follow) args.push('--follow');
  if (flags.origin !== undefined) args.push('--origin', flags.origin);
  args.push('--view', flags.view, '--store', store.location);
  const network = sandbox.network ? 'with network' : 'no network';
  process.stderr.write(`baton: run ${runId} started in the sandbox (${visible(sandbox.writable.join(', '))} writable, ${network}); going on in it\n`);
  return runInSandbox(sandbox, args, { store: store.location });
}

/** Resume runs the workflow as it was when the run started; say so when the file has changed since. */
function noteChangedFile(state: RunState): void {
  const note = sourceChangeNote(state);
  if (note !== undefined) process.stderr.write(`baton: note: ${visible(note)}\n`);
}
