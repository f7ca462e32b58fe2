import { waitForCancel } from '../../runs/cancel.js';
import { loadRun, requestCancel } from '../../engine/resume.js';
import { summarize } from '../../engine/summary.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { openCliStore } from '../store.js';
import { visible } from '../render/visible.js';
import { continueOne, type ContinueFlags } from './resume.js';
import { remoteFor } from '../remote/connect.js';
import { audited } from '../../access/audit.js';
import { cliPrincipal } from '../audit.js';

interface CancelFlags extends ContinueFlags {
  reason?: string;
  compensate?: boolean;
  wait: boolean;
  timeout?: string;
}

/**
 * `baton cancel <run-id>`. A run driven by a live process is asked to cancel (it sees the
 * request at its next heartbeat, within a second, stops its tasks and runs its always()
 * cleanup); by default this waits until it has. A run nobody drives (interrupted) is
 * cancelled here, cleanup included.
 */
export default async function cancel(runId: string, flags: CancelFlags): Promise<number> {
  const remote = await remoteFor(flags);
  if (remote) return (await import('../remote/act.js')).remoteCancel(remote, runId, flags);
  const store = await openCliStore(flags);
  try {
    const timeout = parsePositiveInt(flags.timeout, '--timeout') ?? 60;
    const id = await store.runs.resolveRunId(runId);
    const reason = flags.reason ?? 'cancelled with baton cancel';
    const compensate = flags.compensate === true;
    const owner = await audited(store, cliPrincipal(flags), { action: 'run.cancel', target: id, detail: { reason, ...(compensate ? { compensate } : {}) } }, () => requestCancel(store.runs, id, reason, Date.now(), compensate));
    if (owner === undefined) return cancelledHere(await continueOne(store, id, flags, { kind: 'cancel', reason, compensate }));
    process.stderr.write(`baton: asked pid ${owner.pid} on ${visible(owner.host)} to cancel run ${id}\n`);
    if (!flags.wait) {
      if (flags.json) process.stdout.write(JSON.stringify({ run_id: id, cancel_requested: reason, owner: { host: owner.host, pid: owner.pid } }, null, 2) + '\n');
      return EXIT.ok;
    }
    const waited = await waitForCancel(store, id, timeout * 1000);
    if (waited.ended) {
      // --json: the same summary document as when this process cancels the run itself.
      process.stdout.write(flags.json ? JSON.stringify(summarize(await loadRun(store.runs, id)), null, 2) + '\n' : `run ${id} ${waited.record.status}\n`);
      return waited.record.status === 'cancelled' ? EXIT.ok : EXIT.failed;
    }
    // The owner died before it could finish cancelling: finish here.
    if (waited.why === 'owner-gone') return cancelledHere(await continueOne(store, id, flags, { kind: 'cancel', reason, compensate }));
    process.stderr.write(`baton: run ${id} is still cancelling (its tasks are stopping); see \`baton status ${id}\`\n`);
    return EXIT.failed;
  } finally {
    await store.close();
  }
}

/** This command cancelled the run itself: that is its success (the summary says `cancelled`). */
function cancelledHere(exitCode: number): number {
  return exitCode === EXIT.cancelled ? EXIT.ok : exitCode;
}
