import { answeredBy, resolvePaused } from '../../engine/steps/answer.js';
import { BatonError } from '../../observability/errors.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import { openCliStore } from '../store.js';
import { originOf } from '../origin.js';
import { continueOne, type ContinueFlags } from './resume.js';
import { remoteFor } from '../remote/connect.js';
import { audited } from '../../access/audit.js';
import { cliPrincipal } from '../audit.js';

export interface ResolveFlags extends ContinueFlags {
  retry?: boolean;
  skip?: boolean;
  abort?: boolean;
  comment?: string;
}

export type Resolution = 'retry' | 'skip' | 'abort';

/** The one of --retry, --skip, --abort given; CLI_USAGE for none or several. */
export function resolutionOf(flags: ResolveFlags): Resolution {
  const given = (['retry', 'skip', 'abort'] as const).filter((r) => flags[r] === true);
  if (given.length !== 1) {
    throw new BatonError('CLI_USAGE', given.length === 0 ? 'say what to do with the paused task: --retry, --skip or --abort' : `give one of --retry, --skip and --abort, not ${given.map((r) => `--${r}`).join(' and ')}`);
  }
  return given[0];
}

const DONE: Record<Resolution, string> = { retry: 'runs again', skip: 'is skipped', abort: 'fails' };

/**
 * `baton resolve <run> [task] --retry|--skip|--abort [--comment text]`: decides what becomes
 * of a task paused after failing (`on_failure: pause`). A run nobody drives goes on here; one
 * driven by a live process is left to it.
 */
export default async function resolve(runId: string, task: string | undefined, flags: ResolveFlags): Promise<number> {
  const resolution = resolutionOf(flags);
  const remote = await remoteFor(flags);
  if (remote) return (await import('../remote/act.js')).remoteResolve(remote, runId, task, resolution, flags);
  const store = await openCliStore(flags);
  try {
    const id = await store.runs.resolveRunId(runId);
    const answer = { resolution, by: answeredBy(), ...(flags.comment === undefined ? {} : { comment: flags.comment }), ...originOf(flags) };
    const detail = { resolution, ...(task === undefined ? {} : { task }), ...(flags.comment === undefined ? {} : { comment: flags.comment }) };
    const done = await audited(store, cliPrincipal(flags), { action: 'task.resolve', target: id, detail }, () => resolvePaused(store.runs, id, task, answer));
    const what = `${visible(done.tasks[0])} of run ${id} ${DONE[resolution]}`;
    if (!done.continueHere) {
      const who = done.owner ? `pid ${done.owner.pid} on ${visible(done.owner.host)}` : 'its owner';
      process.stderr.write(`baton: ${what}; ${who} drives the run and goes on with it\n`);
      return EXIT.ok;
    }
    process.stderr.write(`baton: ${what}; going on with the run\n`);
    return await continueOne(store, id, flags, { kind: 'resume' });
  } finally {
    await store.close();
  }
}
