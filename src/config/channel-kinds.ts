/**
 * Each kind of notification channel of baton.config.yaml, checked field by field
 * (docs/configuration.md#notifications). A channel with a problem is reported and left out
 * (undefined). Secrets are never taken in clear: `secret:` and `password:` are refused with
 * where they go instead (`_env`, `_file`); an SMTP URL written here may not hold a password.
 */
import { parseDuration } from '../spec/duration.js';
import {
  COMMAND_TIMEOUT_MS,
  SLACK_URL_ENV,
  type CommandChannel,
  type EmailChannel,
  type SlackChannel,
  type SmtpSettings,
  type WebhookChannel,
} from '../spec/notify-channels.js';
import type { Loc } from '../spec/positions.js';
import { ChannelFields, clearSecretHint, isMap } from './channel-fields.js';

const URLS = ['url', 'url_env', 'url_file'];
const WEBHOOK = ['type', ...URLS, 'secret_env', 'secret_file', 'headers'];
const SLACK = ['type', ...URLS, 'channel', 'username', 'icon_emoji'];
const EMAIL = ['type', 'to', 'from', 'subject', 'smtp', ...URLS];
const SMTP = ['host', 'port', 'secure', 'user', 'user_env', 'user_file', 'password_env', 'password_file'];
const COMMAND = ['type', 'command', 'cwd', 'timeout'];

const SIGNING_KEY = { secret: clearSecretHint('a signing key', 'secret') };

/** The URL as written, or the variable or file holding it, as the model keeps them. */
function urlOf(f: ChannelFields): { url?: string; url_env?: string; url_file?: string } {
  const url = f.httpUrl('url');
  const env = f.envName('url_env');
  const file = f.filePath('url_file');
  return { ...(url === undefined ? {} : { url }), ...(env === undefined ? {} : { url_env: env }), ...(file === undefined ? {} : { url_file: file }) };
}

export function webhookChannel(f: ChannelFields, at: Loc): WebhookChannel | undefined {
  f.unknown(WEBHOOK, SIGNING_KEY);
  f.oneOf(URLS, { at, hint: 'e.g. ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}' });
  const url = urlOf(f);
  const secret = f.secret('secret');
  const headers = f.headers('headers');
  if (!f.ok) return undefined;
  return {
    type: 'webhook',
    ...url,
    ...(secret.env === undefined ? {} : { secret_env: secret.env }),
    ...(secret.file === undefined ? {} : { secret_file: secret.file }),
    headers,
  };
}

export function slackChannel(f: ChannelFields): SlackChannel | undefined {
  f.unknown(SLACK, { secret: 'a Slack incoming webhook is not signed: its URL is the secret (url_env or url_file)', token: 'baton posts to an incoming webhook: give its URL with url_env or url_file' });
  f.oneOf(URLS, undefined);
  const url = urlOf(f);
  const channel = f.text('channel', 'a channel name (#deployments)');
  const username = f.text('username');
  const icon = f.text('icon_emoji', 'an emoji code (:gear:)');
  if (icon !== undefined && !/^:[a-z0-9_+'-]+:$/i.test(icon)) f.fail(f.rep.value(f.map, 'icon_emoji'), `\`${f.where}.icon_emoji\` must be an emoji code such as :gear:`);
  if (!f.ok) return undefined;
  const defaulted = url.url === undefined && url.url_env === undefined && url.url_file === undefined ? { url_env: SLACK_URL_ENV } : url;
  return {
    type: 'slack',
    ...defaulted,
    ...(channel === undefined ? {} : { channel }),
    ...(username === undefined ? {} : { username }),
    ...(icon === undefined ? {} : { icon_emoji: icon }),
  };
}

export function emailChannel(f: ChannelFields, at: Loc): EmailChannel | undefined {
  f.unknown(EMAIL, { password: clearSecretHint('a password', 'smtp.password'), host: 'the server goes under smtp: {host, port, ...}, or in an smtp:// URL (url_env)' });
  const to = addresses(f, at);
  const from = f.text('from', 'an email address');
  if (f.map.from === undefined) f.fail(at, `\`${f.where}\` needs from: the sender's address`, 'e.g. from: "baton <baton@example.com>"');
  else if (from !== undefined && !from.includes('@')) f.fail(f.rep.value(f.map, 'from'), `\`${f.where}.from\` must be an email address (name@domain)`);
  const subject = f.text('subject');
  const server = f.oneOf(['smtp', ...URLS], { at, hint: 'e.g. smtp: {host: smtp.example.com, port: 587, user_env: SMTP_USER, password_env: SMTP_PASSWORD}, or url_env: SMTP_URL (smtp://user:password@host:587)' });
  let smtp: SmtpSettings | undefined;
  if (server === 'smtp') smtp = smtpOf(f);
  const env = f.envName('url_env');
  const file = f.filePath('url_file');
  const url = f.map.url;
  if (url !== undefined) {
    if (typeof url !== 'string' || !/^smtps?:\/\/[^/\s]/i.test(url)) f.fail(f.rep.value(f.map, 'url'), `\`${f.where}.url\` must be an smtp:// or smtps:// URL`);
    else if (/^smtps?:\/\/[^/@]*:[^/@]*@/i.test(url)) f.fail(f.rep.value(f.map, 'url'), `\`${f.where}.url\` holds a password`, 'a password is never written here: keep the URL in an environment variable (url_env) or a file (url_file)');
  }
  if (!f.ok || to === undefined || from === undefined) return undefined;
  return {
    type: 'email',
    to,
    from,
    ...(subject === undefined ? {} : { subject }),
    ...(smtp === undefined ? {} : { smtp }),
    ...(typeof url === 'string' ? { url } : {}),
    ...(env === undefined ? {} : { url_env: env }),
    ...(file === undefined ? {} : { url_file: file }),
  };
}

function addresses(f: ChannelFields, at: Loc): string[] | undefined {
  const raw = f.map.to;
  if (raw === undefined) {
    f.fail(at, `\`${f.where}\` needs to: who gets the email (an address or a list)`, 'e.g. to: [oncall@example.com]');
    return undefined;
  }
  const list = Array.isArray(raw) ? raw : [raw];
  const out: string[] = [];
  list.forEach((entry, i) => {
    const at = Array.isArray(raw) ? f.rep.value(raw, i) : f.rep.value(f.map, 'to');
    if (typeof entry !== 'string' || !entry.includes('@') || /[\r\n\0]/.test(entry)) f.fail(at, `\`${f.where}.to\` must hold email addresses (name@domain), one per entry`);
    else out.push(entry.trim());
  });
  if (list.length === 0) f.fail(f.rep.value(f.map, 'to'), `\`${f.where}.to\` is empty: give at least one address`);
  return out.length === list.length && out.length > 0 ? out : undefined;
}

function smtpOf(f: ChannelFields): SmtpSettings | undefined {
  const raw = f.map.smtp;
  if (!isMap(raw)) {
    f.fail(f.rep.value(f.map, 'smtp'), `\`${f.where}.smtp\` must be a mapping: host, port, secure, user (or user_env, user_file), password_env or password_file`);
    return undefined;
  }
  const s = new ChannelFields(f.rep, raw, `${f.where}.smtp`);
  s.unknown(SMTP, { password: clearSecretHint('a password', 'password'), pass: clearSecretHint('a password', 'password') });
  const host = s.text('host', 'a host name');
  if (raw.host === undefined) s.fail(f.rep.key(f.map, 'smtp'), `\`${s.where}\` needs host: the SMTP server's name`);
  const port = raw.port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)) s.fail(f.rep.value(raw, 'port'), `\`${s.where}.port\` must be a port number (1-65535)`);
  if (raw.secure !== undefined && typeof raw.secure !== 'boolean') s.fail(f.rep.value(raw, 'secure'), `\`${s.where}.secure\` must be true (TLS from the start, port 465) or false (STARTTLS when the server offers it)`);
  const userKey = s.oneOf(['user', 'user_env', 'user_file'], undefined);
  const user = s.text('user');
  const userEnv = s.envName('user_env');
  const userFile = s.filePath('user_file');
  const password = s.secret('password');
  const hasPassword = password.env !== undefined || password.file !== undefined;
  if (userKey !== undefined && !hasPassword && s.ok) s.fail(f.rep.key(raw, userKey), `\`${s.where}\` has a user and no password`, 'name where it is: password_env (an environment variable) or password_file');
  if (userKey === undefined && hasPassword && s.ok) s.fail(f.rep.key(f.map, 'smtp'), `\`${s.where}\` has a password and no user`, 'give user, user_env or user_file');
  if (!s.ok) f.ok = false;
  if (!s.ok || host === undefined) return undefined;
  return {
    host,
    ...(typeof port === 'number' ? { port } : {}),
    ...(typeof raw.secure === 'boolean' ? { secure: raw.secure } : {}),
    ...(user === undefined ? {} : { user }),
    ...(userEnv === undefined ? {} : { user_env: userEnv }),
    ...(userFile === undefined ? {} : { user_file: userFile }),
    ...(password.env === undefined ? {} : { password_env: password.env }),
    ...(password.file === undefined ? {} : { password_file: password.file }),
  };
}

export function commandChannel(f: ChannelFields, at: Loc): CommandChannel | undefined {
  f.unknown(COMMAND, { args: 'the arguments go in the command list: command: [notify-send, --urgency=critical]', env: 'the command gets the environment of the process that sends, and BATON_NOTICE_* (docs/configuration.md)' });
  const raw = f.map.command;
  let command: string[] | undefined;
  if (raw === undefined) f.fail(at, `\`${f.where}\` needs command: the program and its arguments`, 'e.g. command: [./scripts/page.sh, --team, sre]; the notice arrives as JSON on its stdin');
  else if (typeof raw === 'string') {
    if (raw.trim() === '' || raw.includes('\0')) f.fail(f.rep.value(f.map, 'command'), `\`${f.where}.command\` is empty`);
    else command = ['sh', '-c', raw];
  } else if (Array.isArray(raw) && raw.length > 0 && raw.every((arg) => typeof arg === 'string' || typeof arg === 'number')) {
    command = raw.map(String);
    if (command[0].trim() === '' || command.some((arg) => arg.includes('\0'))) {
      f.fail(f.rep.value(f.map, 'command'), `\`${f.where}.command\` needs a program first, and no argument may hold a NUL byte`);
      command = undefined;
    }
  } else f.fail(f.rep.value(f.map, 'command'), `\`${f.where}.command\` must be a list: the program, then its arguments (or one string, run by sh -c)`);
  const cwd = f.filePath('cwd');
  let timeout = COMMAND_TIMEOUT_MS;
  if (f.map.timeout !== undefined) {
    try {
      timeout = parseDuration(f.map.timeout, 's');
      if (timeout <= 0) throw new Error('zero');
    } catch {
      f.fail(f.rep.value(f.map, 'timeout'), `\`${f.where}.timeout\` must be a duration above zero (30s, 2m; a bare number is seconds)`);
    }
  }
  if (!f.ok || command === undefined) return undefined;
  return { type: 'command', command, ...(cwd === undefined ? {} : { cwd }), timeout_ms: timeout };
}
