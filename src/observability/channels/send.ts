/**
 * Sends one notice to one channel, whatever its kind: the one entry every sender uses (a
 * notify task, an approval's notice, the outbox's sender of run notices and alerts).
 *
 * It either resolves with what the channel said, or throws an ExecutorError whose `code` is
 * stable and whose `retryable` says whether sending the same notice again could help:
 * network errors, HTTP 408/429/5xx, SMTP 4xx, a command's timeout or exit other than 2 are;
 * other HTTP 4xx, SMTP 5xx, a missing variable or file, a bad URL, a command that cannot
 * start or exits 2 are not; an abort (EXEC_ABORTED) is not, unless the signal was an
 * AbortSignal.timeout() that ran out. Messages name the channel and show a URL by its
 * origin and an SMTP server by host:port: never a token, a password or a signing key.
 */
import { ExecutorError } from '../../executors/errors.js';
import type { NotifyChannel } from '../../spec/notify-channels.js';
import { sendCommand } from './command.js';
import { sendEmail } from './email.js';
import type { Delivered, Notice, SendOptions } from './notice.js';
import type { Env } from './secrets.js';
import { sendSlack } from './slack.js';
import { sendWebhook } from './webhook.js';

export type { Delivered, Notice, SendOptions } from './notice.js';

/**
 * `name` is the channel's name in baton.config.yaml (in messages, the payload and the
 * email's Message-ID); `env` is where `*_env` secrets are read (usually process.env, with a
 * workflow's environment over it for a notify task); `signal` stops the send.
 */
export async function sendNotice(
  name: string,
  channel: NotifyChannel,
  notice: Notice,
  env: Env,
  signal: AbortSignal,
  options: SendOptions = {},
): Promise<Delivered> {
  try {
    return await sendBy(name, channel, notice, env, signal, options);
  } catch (err) {
    // A time limit the caller set with AbortSignal.timeout() ran out: the channel was slow,
    // which may pass; any other abort (a cancel, a shutdown) is the caller's to judge.
    if (err instanceof ExecutorError && err.code === 'EXEC_ABORTED' && (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError') {
      throw new ExecutorError('EXEC_ABORTED', err.message, { retryable: true, cause: err });
    }
    throw err;
  }
}

function sendBy(name: string, channel: NotifyChannel, notice: Notice, env: Env, signal: AbortSignal, options: SendOptions): Promise<Delivered> {
  const who = options.who ?? `channel ${name}`;
  switch (channel.type) {
    case 'webhook':
      return sendWebhook(name, channel, notice, env, signal, who, options.io);
    case 'slack':
      return sendSlack(name, channel, notice, env, signal, who, options.io);
    case 'email':
      return sendEmail(name, channel, notice, env, signal, who, options.io);
    case 'command':
      return sendCommand(name, channel, notice, env, signal, who, options);
    default: {
      const type = (channel as { type?: unknown }).type;
      throw new ExecutorError('NOTIFY_UNKNOWN_CHANNEL', `${who} is of type ${String(type)}, which this baton cannot send to (webhook, slack, email, command)`, { retryable: false });
    }
  }
}
