/**
 * The kinds of notification channel baton.config.yaml's `notifications.channels` names
 * (config/channels.ts parses them; observability/channels/ sends to them). A workflow
 * names *who* (`notify: ops`), the configuration *how*.
 *
 * Secrets are never held here in clear: a field that holds one is given as `<field>_env`
 * (the environment variable holding it, read where the notice is sent) or `<field>_file`
 * (a file holding it, trimmed, as Docker's `_FILE` convention; absolute once the project is
 * loaded). A URL may be written as is (`url`), or kept out of the file the same way when it
 * holds a token.
 */

/** A POST of JSON to any HTTP endpoint, optionally signed as baton's webhook triggers check it. */
export interface WebhookChannel {
  type: 'webhook';
  /** The webhook's URL, as written in the config ... */
  url?: string;
  /** ... or the environment variable holding it ... */
  url_env?: string;
  /** ... or a file holding it; exactly one of the three. */
  url_file?: string;
  /** The environment variable holding the key the body is signed with (HMAC-SHA256); default: not signed. */
  secret_env?: string;
  /** A file holding the signing key, instead of secret_env. */
  secret_file?: string;
  /** More request headers; default none. */
  headers: Record<string, string>;
}

/** A Slack incoming webhook: a message with Block Kit blocks. */
export interface SlackChannel {
  type: 'slack';
  /** The incoming webhook's URL as written (it holds a token: prefer url_env) ... */
  url?: string;
  /** ... or the variable holding it (default `SLACK_WEBHOOK_URL` when neither url nor url_file is given) ... */
  url_env?: string;
  /** ... or a file holding it. */
  url_file?: string;
  /** Overrides of the webhook's own channel, user name and icon (legacy webhooks honour them); default the webhook's. */
  channel?: string;
  username?: string;
  icon_emoji?: string;
}

/** An SMTP server, field by field (instead of an smtp:// URL). */
export interface SmtpSettings {
  host: string;
  /** Default 465 when secure, else 587. */
  port?: number;
  /** TLS from the start (port 465); default: true on port 465, else STARTTLS when the server offers it. */
  secure?: boolean;
  /** The user name as written (not a secret) ... */
  user?: string;
  /** ... or the variable holding it ... */
  user_env?: string;
  /** ... or a file holding it; none of the three: no authentication. */
  user_file?: string;
  /** The variable holding the password ... */
  password_env?: string;
  /** ... or a file holding it; required with a user. */
  password_file?: string;
}

/** An email over SMTP (nodemailer), with a text and an HTML part. */
export interface EmailChannel {
  type: 'email';
  /** Recipients; at least one. */
  to: string[];
  /** The sender's address (`baton <baton@example.com>`). */
  from: string;
  /** The subject; default the notice's title. */
  subject?: string;
  /** The server as fields ... */
  smtp?: SmtpSettings;
  /** ... or as an smtp:// or smtps:// URL written here (no password in it) ... */
  url?: string;
  /** ... or in the variable holding it (`smtp://user:pass@host:587`) ... */
  url_env?: string;
  /** ... or in a file holding it; exactly one of the four. */
  url_file?: string;
}

/** A program run with the notice as JSON on its stdin. */
export interface CommandChannel {
  type: 'command';
  /** The program and its arguments (a string in the config is run as `sh -c <string>`). */
  command: string[];
  /** The folder it runs in; default the project's root (the config file's folder). */
  cwd?: string;
  /** How long it may take, ms; default 30 000. Then its process group is killed and the send is retryable. */
  timeout_ms: number;
}

/** A named notification channel, by `type` (webhook when not given). */
export type NotifyChannel = WebhookChannel | SlackChannel | EmailChannel | CommandChannel;

export type NotifyChannelType = NotifyChannel['type'];

export const CHANNEL_TYPES: readonly NotifyChannelType[] = ['webhook', 'slack', 'email', 'command'];

/** The variable a Slack channel reads its URL from when the config gives none (seed 004). */
export const SLACK_URL_ENV = 'SLACK_WEBHOOK_URL';

/** A command channel's default timeout. */
export const COMMAND_TIMEOUT_MS = 30_000;
