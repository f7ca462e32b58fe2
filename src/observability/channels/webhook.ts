/**
 * A webhook channel: a POST of JSON to any HTTP endpoint.
 *
 * Body: the notice's fields and `channel` (its name), except for a notify task's message
 * (kind `task`), whose body stays what notify tasks have always sent (decision 0024):
 * `text`, `run_id`, `workflow`, `task`, `attempt`, `channel`. Headers: `X-Baton-Delivery`
 * (the notice's delivery id, the same on every retry) and, with a signing key,
 * `X-Baton-Timestamp` and `X-Baton-Signature: sha256=<hex>`, the HMAC-SHA256 of
 * `<timestamp>.<body>`, exactly what baton's own webhook triggers check
 * (triggers/webhook.ts), so one baton can notify another. 2xx/3xx is sent; 408, 429, 5xx
 * and network errors are retryable (HTTP_STATUS, HTTP_NETWORK), as for an http task. The
 * URL is shown by its origin alone.
 */
import { createHmac } from 'node:crypto';
import { sendHttp } from '../../executors/http.js';
import type { WebhookChannel } from '../../spec/notify-channels.js';
import type { Delivered, Notice, NoticeIO } from './notice.js';
import { checkHttpUrl, readSecret, shownUrl, type Env } from './secrets.js';

/** A webhook resolved: its URL and key read. */
export interface HookTarget {
  url: string;
  /** The signing key; undefined: not signed. */
  key?: string;
  headers: Record<string, string>;
}

const QUIET: NoticeIO = { stdout: () => {}, stderr: () => {} };

/** The headers that sign `body`: as baton's webhook triggers check them (triggers/webhook.ts). */
export function signature(key: string, body: string, unixSeconds: number): Record<string, string> {
  const hex = createHmac('sha256', key).update(`${unixSeconds}.${body}`).digest('hex');
  return { 'x-baton-timestamp': String(unixSeconds), 'x-baton-signature': `sha256=${hex}` };
}

/** What a webhook receives for `notice` sent to the channel `channel` (undefined: a webhook written on a task). */
export function webhookBody(notice: Notice, channel: string | undefined): Record<string, unknown> {
  const named = channel === undefined ? {} : { channel };
  if (notice.kind === 'task') {
    return {
      text: notice.text,
      ...(notice.run_id === undefined ? {} : { run_id: notice.run_id }),
      ...(notice.workflow === undefined ? {} : { workflow: notice.workflow }),
      ...(notice.task === undefined ? {} : { task: notice.task }),
      ...(notice.attempt === undefined ? {} : { attempt: notice.attempt }),
      ...named,
    };
  }
  const { task: _task, attempt: _attempt, ...rest } = notice;
  return { ...rest, ...named };
}

/** The URL and key of a webhook channel, read from the config, the environment or files. */
export function hookOf(channel: WebhookChannel, env: Env, who: string): HookTarget {
  let url = channel.url;
  if (url === undefined) {
    const read = readSecret(env, channel.url_env, channel.url_file, 'its URL', who)!;
    url = checkHttpUrl(read, channel.url_env === undefined ? `the file ${channel.url_file}` : `the environment variable ${channel.url_env}`, who);
  }
  const key = readSecret(env, channel.secret_env, channel.secret_file, 'its signing key', who);
  return { url, ...(key === undefined ? {} : { key }), headers: channel.headers };
}

/**
 * POSTs `body` (JSON) to the hook with the delivery id, signed when it has a key. `who`
 * names the sender in messages (`channel ops`, `task tell`).
 */
export async function postJson(hook: HookTarget, body: unknown, delivery: string, who: string, signal: AbortSignal, io: NoticeIO = QUIET): Promise<Delivered> {
  const text = JSON.stringify(body);
  const headers: Record<string, string> = { ...hook.headers, 'content-type': 'application/json', 'x-baton-delivery': delivery };
  if (hook.key !== undefined && hook.key !== '') Object.assign(headers, signature(hook.key, text, Math.floor(Date.now() / 1000)));
  const shown = shownUrl(hook.url);
  const reply = await sendHttp({ method: 'POST', url: hook.url, headers, body: text }, who, io, signal, { shownUrl: shown });
  return { status: reply.status, detail: `POST ${shown} -> ${reply.status}` };
}

export async function sendWebhook(name: string, channel: WebhookChannel, notice: Notice, env: Env, signal: AbortSignal, who: string, io?: NoticeIO): Promise<Delivered> {
  return postJson(hookOf(channel, env, who), webhookBody(notice, name), notice.delivery, who, signal, io);
}
