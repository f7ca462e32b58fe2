/**
 * notify: one message to a channel: a channel of baton.config.yaml's
 * `notifications.channels` (a webhook, Slack, an email, a command), or a webhook written on
 * the task (`notify: {url}`). Sent by observability/channels (sendNotice), as run notices
 * and alerts are, with the task's message as the notice's text and its first line as the
 * title; the delivery id is `<run>/<task>`, the same on every attempt, so a receiver can
 * tell a message sent again after a failure or a crash.
 *
 * A webhook gets what it always got (decision 0024): a POST of JSON `text`, `run_id`,
 * `workflow`, `task`, `attempt` and `channel` (when named), `X-Baton-Delivery`, and with a
 * signing key `X-Baton-Timestamp` and `X-Baton-Signature` as baton's webhook triggers check
 * them. Outputs: `status` (HTTP status, SMTP reply code, or a command's exit code 0),
 * `delivery`, and `channel` when named.
 */
import { sendNotice } from '../observability/channels/send.js';
import { clip, type Notice } from '../observability/channels/notice.js';
import { readSecret } from '../observability/channels/secrets.js';
import { postJson, webhookBody } from '../observability/channels/webhook.js';
import type { NotifyTask } from '../spec/model.js';
import { ExecutorError } from './errors.js';
import type { Executor, TaskIO } from './types.js';

/** A notice's title is one line; a Slack header takes 150 characters. */
const TITLE_MAX = 150;

export const notify: Executor<NotifyTask> = {
  async run(task, io, signal) {
    const notice = noticeOf(task, io);
    if (task.channel === undefined) {
      const key = task.secret ?? readSecret(io.env, task.secret_env, undefined, 'its signing key', `task ${io.taskKey}`);
      const hook = { url: task.url ?? '', ...(key === undefined || key === '' ? {} : { key }), headers: task.headers };
      const sent = await postJson(hook, webhookBody(notice, undefined), notice.delivery, `task ${io.taskKey}`, signal, io);
      return { outputs: { status: sent.status, delivery: notice.delivery } };
    }
    const name = task.channel;
    const channel = io.channels?.[name];
    if (channel === undefined) {
      const known = Object.keys(io.channels ?? {});
      throw new ExecutorError('NOTIFY_UNKNOWN_CHANNEL', `task ${io.taskKey} notifies channel ${name}, which baton.config.yaml does not define${known.length > 0 ? ` (it has: ${known.join(', ')})` : ''}`, {
        retryable: false,
        details: { channel: name },
      });
    }
    const sent = await sendNotice(name, channel, notice, io.env, signal, { io, cwd: io.baseDir });
    return { outputs: { ...(sent.status === undefined ? {} : { status: sent.status }), delivery: notice.delivery, channel: name } };
  },
};

/** The task's message as a notice: its first line the title. */
function noticeOf(task: NotifyTask, io: TaskIO): Notice {
  const first = task.message.split('\n').find((line) => line.trim() !== '')?.trim();
  return {
    kind: 'task',
    title: clip(first ?? `${io.workflow ?? 'baton'}: ${io.taskKey}`, TITLE_MAX),
    text: task.message,
    delivery: io.idempotencyKey,
    run_id: io.runId,
    ...(io.workflow === undefined ? {} : { workflow: io.workflow }),
    task: io.taskKey,
    attempt: io.attempt,
    at: Date.now(),
  };
}
