import { openCliStore } from '../store.js';
import { continueOne, type ContinueFlags } from './resume.js';

interface RetryFlags extends ContinueFlags {
  from?: string;
}

/**
 * `baton retry <run-id>`: a new attempt of the failed and cancelled tasks of a finished
 * run (and what they blocked), keeping what succeeded; `--from <task>` re-runs that task
 * and everything after it.
 */
export default async function retry(runId: string, flags: RetryFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const id = await store.runs.resolveRunId(runId);
    return await continueOne(store, id, flags, flags.from === undefined ? { kind: 'retry' } : { kind: 'retry', from: flags.from });
  } finally {
    await store.close();
  }
}
