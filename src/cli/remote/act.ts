/**
 * `resume`, `retry`, `cancel`, `approve`, `resolve` and `emit` with --server: the request to the
 * server (which drives the run from there), then the run followed as these commands follow
 * a run they go on with locally: to its end or its next wait, with the same view, summary,
 * `--json` and exit codes. What the server refuses comes back with its code (RUN_HELD,
 * RUN_FINISHED, WAIT_NOT_FOUND...) and the exit code of its category.
 */
import { BatonError } from '../../observability/errors.js';
import { parseEventData, parsePositiveInt } from '../args.js';
import type { ViewFlags } from '../drive.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import { runView, withServer, type Remote } from './connect.js';
import { followRun, followToSummary, printSummary } from './follow.js';

export async function remoteResume(remote: Remote, runArg: string, flags: ViewFlags): Promise<number> {
  const before = await runView(remote, runArg);
  await remote.server.post(`/api/runs/${before.run_id}/resume`);
  return followToSummary({ remote, runId: before.run_id, flags, before, ctrlC: 'cancel' });
}

export async function remoteRetry(remote: Remote, runArg: string, flags: ViewFlags & { from?: string }): Promise<number> {
  const before = await runView(remote, runArg);
  await remote.server.post(`/api/runs/${before.run_id}/retry`, flags.from === undefined ? {} : { from: flags.from });
  return followToSummary({ remote, runId: before.run_id, flags, before, ctrlC: 'cancel' });
}

interface CancelFlags extends ViewFlags {
  reason?: string;
  compensate?: boolean;
  wait: boolean;
  timeout?: string;
}

/**
 * Asks the server to cancel the run. When a live process drives it (`cancel_requested`),
 * waits for it to end as a local cancel does; when nobody did, the server cancels it itself
 * (`cancelling`) and this follows it with the view and summary, as a local cancel of an
 * interrupted run does. A driver that dies before it has cancelled leaves the run to the
 * server: asked again, it cancels it itself.
 */
export async function remoteCancel(remote: Remote, runArg: string, flags: CancelFlags, again = false): Promise<number> {
  const timeout = parsePositiveInt(flags.timeout, '--timeout') ?? 60;
  const before = await runView(remote, runArg);
  const id = before.run_id;
  const reason = flags.reason ?? 'cancelled with baton cancel';
  const answer = await remote.server.post<{ run_id: string; status: 'cancel_requested' | 'cancelling' }>(`/api/runs/${id}/cancel`, { reason, ...(flags.compensate ? { compensate: true } : {}) });
  const driver = before.owner ? `pid ${before.owner.pid} on ${visible(before.owner.host)}` : 'its driver';
  if (answer.status === 'cancel_requested') process.stderr.write(`baton: asked ${driver} to cancel run ${id} (through the server at ${remote.server.url})\n`);
  if (!flags.wait) {
    if (flags.json) process.stdout.write(JSON.stringify({ run_id: id, cancel_requested: reason, ...(before.owner ? { owner: before.owner } : {}) }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (answer.status === 'cancelling') {
    // Cancelled by this request: that is its success (the summary says `cancelled`).
    const code = await followToSummary({ remote, runId: id, flags, before, ctrlC: 'stop' });
    return code === EXIT.cancelled ? EXIT.ok : code;
  }
  let followed: Awaited<ReturnType<typeof followRun>>;
  try {
    followed = await followRun({ remote, runId: id, flags, before, ctrlC: 'stop', quiet: true, timeoutMs: timeout * 1000 });
  } catch (err) {
    if (again || !(err instanceof BatonError) || err.code !== 'RUN_INTERRUPTED') throw err;
    process.stderr.write(`baton: ${driver} is gone before it cancelled run ${id}; asking the server to cancel it\n`);
    return remoteCancel(remote, id, flags, true);
  }
  if (!followed.ended) {
    if (followed.why === 'timeout') process.stderr.write(withServer(`baton: run ${id} is still cancelling (its tasks are stopping); see \`baton status ${id}\`\n`, remote));
    return followed.exitCode;
  }
  const status = followed.state.status;
  if (flags.json) printSummary(followed.state, flags, remote);
  else process.stdout.write(`run ${id} ${status}\n`);
  return status === 'cancelled' ? EXIT.ok : EXIT.failed;
}

interface ApproveFlags extends ViewFlags {
  reject?: boolean;
  comment?: string;
}

export async function remoteApprove(remote: Remote, runArg: string, step: string | undefined, flags: ApproveFlags): Promise<number> {
  const before = await runView(remote, runArg);
  const id = before.run_id;
  const body = { approved: flags.reject !== true, ...(flags.comment === undefined ? {} : { comment: flags.comment }) };
  const route = step === undefined ? `/api/runs/${id}/approvals` : `/api/runs/${id}/approvals/${encodeURIComponent(step)}`;
  const answer = await remote.server.post<{ task: string; approved: boolean; timed_out: boolean }>(route, body);
  if (answer.timed_out) {
    process.stderr.write(`baton: ${visible(answer.task)} of run ${id} timed out before this answer; nothing was recorded, and the run goes on with the timeout (APPROVAL_TIMEOUT)\n`);
  } else {
    process.stderr.write(`baton: ${answer.approved ? 'approved' : 'rejected'} ${visible(answer.task)} of run ${id}; the server goes on with the run\n`);
  }
  // A late answer records nothing: the run's own timeout goes on from where it stood.
  const since = answer.timed_out ? { before } : { answered: [answer.task] };
  return followToSummary({ remote, runId: id, flags, ...since, ctrlC: 'cancel' });
}

/** Asks the server to retry, skip or abort a paused task; the run is followed to its end or its next wait. */
export async function remoteResolve(remote: Remote, runArg: string, task: string | undefined, resolution: 'retry' | 'skip' | 'abort', flags: ViewFlags & { comment?: string }): Promise<number> {
  const id = (await runView(remote, runArg)).run_id;
  const route = task === undefined ? `/api/runs/${id}/pauses` : `/api/runs/${id}/pauses/${encodeURIComponent(task)}`;
  const answer = await remote.server.post<{ task: string }>(route, { resolution, ...(flags.comment === undefined ? {} : { comment: flags.comment }) });
  process.stderr.write(`baton: ${visible(answer.task)} of run ${id} ${resolution === 'retry' ? 'runs again' : resolution === 'skip' ? 'is skipped' : 'fails'}; the server goes on with the run\n`);
  return followToSummary({ remote, runId: id, flags, answered: [answer.task], ctrlC: 'cancel' });
}

interface EmitFlags extends ViewFlags {
  data?: string;
  run?: string;
}

/** Delivers the event; each run it reached is followed in turn, to its end or its next wait. */
export async function remoteEmit(remote: Remote, name: string, flags: EmitFlags): Promise<number> {
  const data = parseEventData(flags.data);
  const only = flags.run === undefined ? undefined : (await runView(remote, flags.run)).run_id;
  const answer = await remote.server.post<{ delivered: Array<{ run_id: string; tasks: string[] }> }>(`/api/events/${encodeURIComponent(name)}`, { data, ...(only === undefined ? {} : { run_id: only }) });
  if (answer.delivered.length === 0) {
    const where = only === undefined ? 'no run waits' : `run ${only} does not wait`;
    process.stderr.write(`baton: ${where} for event ${visible(name)}; nothing was delivered (an event reaches only waits already open)\n`);
    return only === undefined ? EXIT.ok : EXIT.invalid;
  }
  let worst: number = EXIT.ok;
  for (const reached of answer.delivered) {
    const steps = reached.tasks.map((task) => visible(task)).join(', ');
    process.stderr.write(`baton: event ${visible(name)} delivered to ${steps} of run ${reached.run_id}; the server goes on with the run\n`);
    const code = await followToSummary({ remote, runId: reached.run_id, flags, answered: reached.tasks, ctrlC: 'cancel' });
    if (worst === EXIT.ok || (code !== EXIT.ok && code !== EXIT.cancelled)) worst = code;
  }
  return worst;
}
