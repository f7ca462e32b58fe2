/**
 * notify: one message to a channel. A channel is a webhook for now (baton.config.yaml's
 * `notifications.channels`, or `notify: {url}` on the task); Slack and email channels are
 * to come behind the same task.
 *
 * The webhook gets a POST of JSON: `text` (the message), `run_id`, `workflow`, `task`,
 * `attempt` and `channel` (when named). Headers: `X-Baton-Delivery: <run>/<task>`, the same
 * on every attempt, so a receiver can tell a message sent again after a failure or a crash;
 * with a signing key, `X-Baton-Timestamp` (unix seconds) and `X-Baton-Signature:
 * sha256=<hex>`, the HMAC-SHA256 of `<timestamp>.<body>`: baton's own webhook triggers
 * check exactly this, so one baton can notify another's webhook. A 2xx or 3xx answer is
 * success; 408, 429, 5xx and network errors are retryable, as for an http task. The URL is
 * shown by its origin alone (a webhook's path often holds its token).
 */
import { createHmac } from 'node:crypto';
import type { NotifyTask } from '../spec/model.js';
import { ExecutorError } from './errors.js';
import { sendHttp } from './http.js';
import type { Executor, TaskIO } from './types.js';

/** Where a notify task sends, with what it was told to sign with. */
interface Webhook {
  url: string;
  /** The signing key; undefined: not signed. */
  key?: string;
  headers: Record<string, string>;
  channel?: string;
}

export const notify: Executor<NotifyTask> = {
  async run(task, io, signal) {
    const hook = webhookOf(task, io);
    const body = JSON.stringify({
      text: task.message,
      run_id: io.runId,
      ...(io.workflow === undefined ? {} : { workflow: io.workflow }),
      task: io.taskKey,
      attempt: io.attempt,
      ...(hook.channel === undefined ? {} : { channel: hook.channel }),
    });
    const headers: Record<string, string> = { ...hook.headers, 'content-type': 'application/json', 'x-baton-delivery': io.idempotencyKey };
    if (hook.key !== undefined) Object.assign(headers, signature(hook.key, body, Math.floor(Date.now() / 1000)));
    const where = hook.channel === undefined ? `task ${io.taskKey}` : `task ${io.taskKey} (channel ${hook.channel})`;
    const reply = await sendHttp({ method: 'POST', url: hook.url, headers, body }, where, io, signal, { shownUrl: shownUrl(hook.url) });
    return { outputs: { status: reply.status, delivery: io.idempotencyKey, ...(hook.channel === undefined ? {} : { channel: hook.channel }) } };
  },
};

/** The headers that sign `body`: as baton's webhook triggers check them (triggers/webhook.ts). */
export function signature(key: string, body: string, unixSeconds: number): Record<string, string> {
  const hex = createHmac('sha256', key).update(`${unixSeconds}.${body}`).digest('hex');
  return { 'x-baton-timestamp': String(unixSeconds), 'x-baton-signature': `sha256=${hex}` };
}

function webhookOf(task: NotifyTask, io: TaskIO): Webhook {
  if (task.channel === undefined) {
    const key = task.secret ?? (task.secret_env === undefined ? undefined : fromEnv(io, task.secret_env, 'its signing key', `task ${io.taskKey}`));
    return { url: task.url ?? '', ...(key === undefined || key === '' ? {} : { key }), headers: task.headers };
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
  const who = `channel ${name}`;
  const url = channel.url ?? fromEnv(io, channel.url_env!, 'its URL', who);
  const key = channel.secret_env === undefined ? undefined : fromEnv(io, channel.secret_env, 'its signing key', who);
  return { url, ...(key === undefined ? {} : { key }), headers: channel.headers, channel: name };
}

/** A variable of the environment the task runs in (this machine's, then the workflow's). */
function fromEnv(io: TaskIO, name: string, what: string, who: string): string {
  const value = io.env[name];
  if (value === undefined || value === '') {
    throw new ExecutorError('NOTIFY_ENV_UNSET', `${who} takes ${what} from the environment variable ${name}, which is not set here`, {
      retryable: false,
      details: { variable: name },
    });
  }
  return value;
}

/** `https://hooks.example.com/…`: a webhook's path and query often hold its token. */
function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.pathname === '/' && parsed.search === '' ? parsed.origin : `${parsed.origin}/…`;
  } catch {
    return 'the webhook URL';
  }
}
