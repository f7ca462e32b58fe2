import { answerApproval, answeredBy } from '../../engine/steps/answer.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import { openCliStore } from '../store.js';
import { originOf } from '../origin.js';
import { continueOne, type ContinueFlags } from './resume.js';
import { remoteFor } from '../remote/connect.js';
import { audited } from '../../access/audit.js';
import { cliPrincipal } from '../audit.js';

interface ApproveFlags extends ContinueFlags {
  reject?: boolean;
  comment?: string;
}

/**
 * `baton approve <run> [step] [--reject] [--comment text]`: answers a code run's approval.
 * A run nobody drives goes on here, to its end or its next wait; one driven by a live
 * process is left to it.
 */
export default async function approve(runId: string, step: string | undefined, flags: ApproveFlags): Promise<number> {
  const remote = await remoteFor(flags);
  if (remote) return (await import('../remote/act.js')).remoteApprove(remote, runId, step, flags);
  const store = await openCliStore(flags);
  try {
    const id = await store.runs.resolveRunId(runId);
    const answer = { approved: flags.reject !== true, by: answeredBy(), ...(flags.comment === undefined ? {} : { comment: flags.comment }), ...originOf(flags) };
    const detail = { approved: answer.approved, ...(step === undefined ? {} : { task: step }), ...(flags.comment === undefined ? {} : { comment: flags.comment }) };
    const done = await audited(store, cliPrincipal(flags), { action: 'approval.answer', target: id, detail }, () => answerApproval(store.runs, id, step, answer));
    const verb = answer.approved ? 'approved' : 'rejected';
    if (done.timedOut) {
      process.stderr.write(`baton: ${visible(done.tasks[0])} of run ${id} timed out before this answer; nothing was recorded, and the run goes on with the timeout (APPROVAL_TIMEOUT)\n`);
      return done.continueHere ? await continueOne(store, id, flags, { kind: 'resume' }) : EXIT.invalid;
    }
    if (!done.continueHere) {
      const who = done.owner ? `pid ${done.owner.pid} on ${visible(done.owner.host)}` : 'its owner';
      process.stderr.write(`baton: ${verb} ${visible(done.tasks[0])} of run ${id}; ${who} drives the run and goes on with it\n`);
      return 0;
    }
    process.stderr.write(`baton: ${verb} ${visible(done.tasks[0])} of run ${id}; going on with the run\n`);
    return await continueOne(store, id, flags, { kind: 'resume' });
  } finally {
    await store.close();
  }
}
