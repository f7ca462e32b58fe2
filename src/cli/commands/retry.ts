import type { CodeSnapshot } from '../../store/events.js';
import { loadCode } from '../../sdk/load-code.js';
import { openCliStore } from '../store.js';
import { concurrencyRule, continueOne, type ContinueFlags } from './resume.js';
import { remoteFor } from '../remote/connect.js';

interface RetryFlags extends ContinueFlags {
  from?: string;
  newCode?: boolean;
}

/**
 * `baton retry <run-id>`: a new attempt of the failed and cancelled tasks of a finished
 * run (and what they blocked), keeping what succeeded; `--from <task>` re-runs that task
 * and everything after it.
 */
export default async function retry(runId: string, flags: RetryFlags): Promise<number> {
  const remote = await remoteFor(flags, {
    unsupported: [concurrencyRule(flags), ['--new-code', flags.newCode === true, "the server's copy of the code is what a run there can take up"]],
  });
  if (remote) return (await import('../remote/act.js')).remoteRetry(remote, runId, flags);
  const store = await openCliStore(flags);
  try {
    const id = await store.runs.resolveRunId(runId);
    const newCode = flags.newCode ? { newCode: reloadCode } : {};
    return await continueOne(store, id, flags, { kind: 'retry', ...(flags.from === undefined ? {} : { from: flags.from }), ...newCode }, { action: 'run.retry' });
  } finally {
    await store.close();
  }
}

/** `--new-code`: the code of the run's file as it is now (checked: it must still load). */
async function reloadCode(code: CodeSnapshot): Promise<CodeSnapshot> {
  process.stderr.write(`baton: taking the current code of ${code.file} for this retry\n`);
  return (await loadCode(code.file, code.language)).code;
}
