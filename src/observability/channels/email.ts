/**
 * An email channel: one message over SMTP with nodemailer (loaded when the first email is
 * sent, so nothing else pays for it), with a text and an HTML part (email-body.ts).
 *
 * The server comes from `smtp: {host, port, secure, user*, password*}` or from an smtp://
 * (STARTTLS when offered) or smtps:// (TLS from the start) URL (`url`, `url_env`,
 * `url_file`) that may hold the user and password. Messages show the server as host:port,
 * never the user or password.
 *
 * What fails: a 4xx reply (mailbox busy, greylisting) is retryable; a 5xx (no such
 * mailbox, login refused) is not, except 503 (wrong state of the session, fine on a new
 * connection); both NOTIFY_SMTP. A server that cannot be reached, a broken connection or a
 * timeout is NOTIFY_SMTP_NETWORK, retryable. nodemailer takes no AbortSignal: an abort
 * closes the connection and the send rejects with EXEC_ABORTED.
 */
import type { NodemailerError, SMTPTransportOptions } from 'nodemailer';
import { abortedError, ExecutorError } from '../../executors/errors.js';
import type { EmailChannel } from '../../spec/notify-channels.js';
import { emailBody } from './email-body.js';
import type { Delivered, Notice, NoticeIO } from './notice.js';
import { readSecret, type Env } from './secrets.js';

/** How long connecting, the greeting and a silent socket may take, ms. */
const CONNECT_MS = 15_000;
const GREETING_MS = 15_000;
const SOCKET_MS = 60_000;

/** Errors that carry no SMTP reply but say the message or the settings are wrong: trying again cannot help. */
const PERMANENT_CODES = new Set(['EAUTH', 'ENOAUTH', 'ECONFIG', 'EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'EREQUIRETLS']);

export async function sendEmail(name: string, channel: EmailChannel, notice: Notice, env: Env, signal: AbortSignal, who: string, io?: NoticeIO): Promise<Delivered> {
  const server = serverOf(channel, env, who);
  const body = emailBody(name, channel, notice);
  if (signal.aborted) throw abortedError(signal, `email to ${server.shown}`);
  const mod = await import('nodemailer');
  const mailer = (mod as unknown as { default?: typeof mod }).default ?? mod;
  const transport = mailer.createTransport(server.options);
  let cleanup = () => {};
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => {
      transport.close();
      reject(abortedError(signal, `email to ${server.shown}`));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    cleanup = () => signal.removeEventListener('abort', onAbort);
  });
  try {
    const info = await Promise.race([
      transport.sendMail({
        from: channel.from,
        to: channel.to,
        subject: body.subject,
        text: body.text,
        html: body.html,
        messageId: body.messageId,
        headers: { 'X-Baton-Delivery': notice.delivery },
      }),
      aborted,
    ]);
    const reply = String(info.response ?? '').trim();
    const status = Number(/^\d{3}/.exec(reply)?.[0]) || undefined;
    const rejected = (info.rejected ?? []).map(String);
    const detail = `SMTP ${server.shown} -> ${reply || 'accepted'}${rejected.length > 0 ? `; refused: ${rejected.join(', ')}` : ''}`;
    io?.stderr(`${detail}\n`);
    return { ...(status === undefined ? {} : { status }), detail };
  } catch (err) {
    if (signal.aborted) throw abortedError(signal, `email to ${server.shown}`);
    throw smtpError(err as NodemailerError, server.shown, who);
  } finally {
    cleanup();
    transport.close();
  }
}

interface Server {
  options: SMTPTransportOptions;
  /** `smtp.example.com:587`: for messages. */
  shown: string;
}

/** The transport's options from the channel's settings, its secrets read. */
function serverOf(channel: EmailChannel, env: Env, who: string): Server {
  const timeouts = { connectionTimeout: CONNECT_MS, greetingTimeout: GREETING_MS, socketTimeout: SOCKET_MS };
  if (channel.smtp !== undefined) {
    const smtp = channel.smtp;
    const secure = smtp.secure ?? smtp.port === 465;
    const port = smtp.port ?? (secure ? 465 : 587);
    const user = smtp.user ?? readSecret(env, smtp.user_env, smtp.user_file, 'its SMTP user', who);
    const pass = readSecret(env, smtp.password_env, smtp.password_file, 'its SMTP password', who);
    const auth = user === undefined ? {} : { auth: { user, pass: pass ?? '' } };
    return { options: { host: smtp.host, port, secure, ...auth, ...timeouts }, shown: `${smtp.host}:${port}` };
  }
  const source = channel.url !== undefined ? 'its URL' : channel.url_env !== undefined ? `the environment variable ${channel.url_env}` : `the file ${channel.url_file}`;
  const text = channel.url ?? readSecret(env, channel.url_env, channel.url_file, 'its SMTP URL', who)!;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badUrl(source, who);
  }
  if ((url.protocol !== 'smtp:' && url.protocol !== 'smtps:') || url.hostname === '') throw badUrl(source, who);
  const secure = url.protocol === 'smtps:';
  const port = url.port === '' ? (secure ? 465 : 587) : Number(url.port);
  const user = decodeURIComponent(url.username);
  const auth = user === '' ? {} : { auth: { user, pass: decodeURIComponent(url.password) } };
  return { options: { host: url.hostname, port, secure, ...auth, ...timeouts }, shown: `${url.hostname}:${port}` };
}

function badUrl(source: string, who: string): ExecutorError {
  return new ExecutorError('NOTIFY_BAD_URL', `${who}: ${source} is not an smtp:// or smtps:// URL (smtp://user:password@host:587); check what it holds`, { retryable: false });
}

/** What a failed send means: a reply from the server (4xx: later, 5xx: never), or no reply at all. */
function smtpError(err: NodemailerError, shown: string, who: string): ExecutorError {
  const reply = err.response?.trim();
  if (err.responseCode !== undefined) {
    const permanent = err.permanent ?? (err.responseCode >= 500 && err.responseCode !== 503);
    const what = err.code === 'EAUTH' ? 'refused the login' : 'refused the email';
    const advice = permanent ? 'a permanent refusal: check the addresses and the server settings; not retried' : 'a temporary refusal: tried again later';
    return new ExecutorError('NOTIFY_SMTP', `${who}: the SMTP server ${shown} ${what}: ${reply ?? err.message} (${advice})`, {
      retryable: !permanent,
      cause: err,
      details: { status: err.responseCode },
    });
  }
  if (err.code !== undefined && PERMANENT_CODES.has(err.code)) {
    return new ExecutorError('NOTIFY_SMTP', `${who}: sending through ${shown} failed: ${err.message} [${err.code}]; check the channel's settings`, { retryable: false, cause: err });
  }
  const code = err.originalCode ?? err.code;
  return new ExecutorError('NOTIFY_SMTP_NETWORK', `${who}: cannot talk to the SMTP server ${shown}: ${err.message}${code !== undefined && !err.message.includes(code) ? ` [${code}]` : ''}`, {
    retryable: true,
    cause: err,
  });
}
