/**
 * A start whose idempotency key found the run an earlier start made (RunResult.existing):
 * the front end shows that run as it would have shown its own, so following it here ends
 * where the earlier start's own following ends. A run that workers drive is followed to its
 * end; one a process drives, until it ends or waits (that process stops there too). Ctrl-C
 * stops following only: the run belongs to the start that made it.
 */
import { EngineError } from '../engine/errors.js';
import type { RunResult } from '../engine/runner.js';
import type { RunState } from '../engine/state.js';
import type { StoredEvent } from '../store/events.js';
import { displayStatus } from '../store/ownership.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import type { Store } from '../store/store.js';
import { followStored } from './follow-stored.js';

export interface ExistingOptions {
  store: Store;
  /** The key the start gave, for what is said. */
  key: string;
  onEvent?: (event: StoredEvent, state: RunState) => void;
  signal?: AbortSignal;
  interrupt?: AbortSignal;
}

/**
 * What a front end says of the run its start's key found, on a line of its own (`baton
 * mcp` finds the run in what the `baton run` it started says: FOUND_LINE).
 */
export function foundLine(runId: string, workflow: string, key: string, status: string, following: boolean): string {
  return `baton: run ${runId} of ${workflow} was started before with idempotency key ${JSON.stringify(key)} (${status}); nothing new was started${following ? ': following it' : ''}`;
}

/** The line foundLine says, with the run's id. */
export const FOUND_LINE = /^baton: run (\w{26}) of .* was started before with idempotency key /m;

/**
 * Looks in a row (about a second apart) that find the run's process gone before following
 * says so: a run recorded to be driven a moment later (a server's) has nobody for that moment.
 */
const GONE_LOOKS = 3;

export async function followExisting(run: RunResult, options: ExistingOptions): Promise<RunResult> {
  const record = await options.store.runs.getRun(run.runId);
  const byWorkers = record?.queue !== undefined;
  let gone = 0;
  return followStored(run, {
    store: options.store,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
    settled: (state) => FINISHED_RUN_STATUSES.has(state.status) || (!byWorkers && state.status === 'waiting'),
    check: (current) => {
      if (byWorkers) return;
      gone = displayStatus(current) === 'interrupted' ? gone + 1 : 0;
      if (gone < GONE_LOOKS) return;
      throw new EngineError(
        'RUN_IDEMPOTENCY_INTERRUPTED',
        `run ${run.runId} was started before with idempotency key ${JSON.stringify(options.key)}, and the process driving it is gone (interrupted): go on with it with \`baton resume ${run.runId}\``,
        { details: { run: run.runId, key: options.key } },
      );
    },
  });
}
