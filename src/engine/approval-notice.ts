import type { Executor } from '../executors/types.js';
import { coerceError, errorCode } from '../observability/errors.js';
import type { ApprovalTask, NotifyChannel, NotifyTask } from '../spec/model.js';
import type { LogStore } from '../store/store.js';
import type { Masker } from './mask.js';
import { resolveTask } from './resolve.js';
import type { ScopeBuilder } from './scope.js';
import type { RunState } from './state.js';
import { RunnerIO } from './task-io.js';
import { waitOf } from './waits.js';

export interface NoticeContext {
  state: RunState;
  scopes: ScopeBuilder;
  /** The notify task type's executor: an approval's `notify` is sent as a notify task sends. */
  notify: Executor<NotifyTask>;
  logs: LogStore;
  /** This machine's environment with the workflow's, where `secret_env` and `url_env` are read. */
  taskEnv: Record<string, string>;
  channels?: Readonly<Record<string, NotifyChannel>>;
  masker?: Masker;
  scratchDir: string;
}

/** How long a notice may take before the process that sends it lets the run go anyway. */
export const NOTICE_MS = 15_000;

/**
 * Tells an approval's `notify` channel (any kind) or webhook that it waits: the prompt, who may answer
 * and how, as a notify task's message (same payload, signature and delivery id
 * `<run>/<task>`). Sent once, when the approval opens and its TaskStarted is recorded; what
 * came of it is written to the approval's log (`baton logs RUN TASK`), and a failure does
 * not fail the approval: the run still waits, and `baton status` still says for what.
 */
export async function sendApprovalNotice(ctx: NoticeContext, key: string, signal: AbortSignal): Promise<void> {
  const { state } = ctx;
  const spec = state.nodes.get(key)!.spec as ApprovalTask;
  const attempt = state.task(key).attempt;
  const env = Object.keys(spec.environment).length > 0 ? { ...ctx.taskEnv, ...spec.environment } : ctx.taskEnv;
  const io = new RunnerIO(state.runId, key, attempt, env, state.baseDir ?? process.cwd(), () => ctx.scratchDir, ctx.logs, undefined, ctx.masker, () => {});
  io.workflow = state.plan.workflow.name;
  if (ctx.channels !== undefined) io.channels = ctx.channels;
  const where = spec.notify!.channel === undefined ? 'the webhook' : `channel ${spec.notify!.channel}`;
  try {
    const message = messageOf(state, key);
    const task = { ...spec, ...spec.notify!, type: 'notify', message } as unknown as NotifyTask;
    // The webhook's URL, headers and key are templates; the message is made already (a prompt's values are not templates again).
    const resolved = { ...(resolveTask(task, () => ctx.scopes.forTask(key)) as NotifyTask), message };
    const result = await ctx.notify.run(resolved, io, signal);
    const kind = spec.notify!.channel === undefined ? 'webhook' : ctx.channels?.[spec.notify!.channel]?.type;
    const answer = kind === 'email' ? 'SMTP' : kind === 'command' ? 'exit' : 'HTTP';
    io.stdout(`notified ${where} that ${key} waits for approval (${answer} ${String(result.outputs.status)})\n`);
  } catch (err) {
    io.stderr(`could not notify ${where} that ${key} waits for approval: ${coerceError(err).message} [${errorCode(err)}]; it waits all the same\n`);
  } finally {
    io.finish();
  }
}

/** `deploy 1.4 to prod? Answer: baton approve <run> <task> (or --reject); approvers: alice, role:approver; times out at ...`. */
function messageOf(state: RunState, key: string): string {
  const wait = waitOf(state, key);
  const who = wait.approvers === undefined ? '' : `; approvers: ${wait.approvers.join(', ')}`;
  const until = wait.timeout_at === undefined ? '' : `; times out at ${new Date(wait.timeout_at).toISOString()}`;
  return `${wait.prompt ?? `approve ${key}?`}\nAnswer: baton approve ${state.runId} ${key} (or --reject)${who}${until}`;
}
