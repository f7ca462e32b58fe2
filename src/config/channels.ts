/**
 * `notifications:` of baton.config.yaml: the named channels that notify tasks, approvals,
 * run notices and alerts send to (`notify: ops`), by kind (docs/configuration.md):
 *
 *   notifications:
 *     channels:
 *       ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}        # a webhook (the default type)
 *       team: {type: slack}                                            # URL from SLACK_WEBHOOK_URL
 *       oncall: {type: email, to: [oncall@example.com], from: baton@example.com, url_env: SMTP_URL}
 *       pager: {type: command, command: [./scripts/page.sh]}
 *
 * Secrets are never written here: a signing key, a password, or a URL holding a token come
 * from an environment variable (`*_env`) or a file (`*_file`), read where the notice is
 * sent (observability/channels/). Checked with file:line:col like every setting; pure. The
 * kinds' fields are checked in channel-kinds.ts.
 */
import path from 'node:path';
import type { Reporter } from '../spec/diagnostics.js';
import type { Notifications, NotifyChannel } from '../spec/model.js';
import { notificationsOf } from '../spec/normalize-alerts.js';
import { durationOf } from '../spec/normalize-leaf.js';
import { CHANNEL_NAME } from '../spec/normalize-notify.js';
import { CHANNEL_TYPES } from '../spec/notify-channels.js';
import { didYouMean } from '../spec/suggest.js';
import { ChannelFields, isMap, type Map } from './channel-fields.js';
import { commandChannel, emailChannel, slackChannel, webhookChannel } from './channel-kinds.js';

export interface NotificationSettings {
  /** Channels by name. */
  channels: Record<string, NotifyChannel>;
  /** `defaults`: what runs of workflows with no `notifications:` of their own tell (observability/notifications/rules.ts). */
  defaults?: Notifications;
  /** `wait`: how long `baton run` waits for its run's notifications before it exits, retries included (ms; default 10 s). */
  wait?: number;
}

const SECTION = ['channels', 'defaults', 'wait'];
const EXAMPLE = 'e.g. ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}';

/** Reads `notifications` of the config's top level; undefined (reported) when it is not what it should be. */
export function parseNotifications(map: Map, rep: Reporter): NotificationSettings | undefined {
  const raw = map.notifications;
  if (!isMap(raw)) {
    rep.error('CONFIG_TYPE', '`notifications` must be a mapping: channels', rep.value(map, 'notifications'), 'e.g. notifications: {channels: {ops: {url_env: OPS_HOOK_URL}}}');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!SECTION.includes(key)) rep.error('CONFIG_UNKNOWN_FIELD', `unknown setting 'notifications.${key}'${didYouMean(key, SECTION)}`, rep.key(raw, key), 'the settings of `notifications` are: channels, defaults, wait');
  }
  const channels: Record<string, NotifyChannel> = {};
  const wait = waitOf(raw, rep);
  if (raw.channels === undefined) {
    const defaults = notificationsOf(raw, rep, [], 'defaults');
    return { channels, ...(defaults ? { defaults } : {}), ...(wait === undefined ? {} : { wait }) };
  }
  if (!isMap(raw.channels)) {
    rep.error('CONFIG_TYPE', '`notifications.channels` must be a mapping of channel name: channel', rep.value(raw, 'channels'), EXAMPLE);
    return undefined;
  }
  for (const [name, value] of Object.entries(raw.channels)) {
    const channel = channelOf(name, value, raw.channels, rep);
    if (channel !== undefined) channels[name] = channel;
  }
  const defaults = notificationsOf(raw, rep, Object.keys(channels), 'defaults');
  return { channels, ...(defaults ? { defaults } : {}), ...(wait === undefined ? {} : { wait }) };
}

function waitOf(raw: Map, rep: Reporter): number | undefined {
  if (raw.wait === undefined) return undefined;
  const ms = durationOf(raw.wait, 's');
  if (ms === undefined) rep.error('CONFIG_TYPE', '`notifications.wait` must be a duration (0s, 10s, 1m)', rep.value(raw, 'wait'), 'how long `baton run` waits for its notifications before it exits; 0s: send once, leave retries to baton serve or baton worker');
  return ms;
}

function channelOf(name: string, value: unknown, within: Map, rep: Reporter): NotifyChannel | undefined {
  const where = `notifications.channels.${name}`;
  if (!CHANNEL_NAME.test(name)) {
    rep.error('CONFIG_TYPE', `channel name '${name}' is not one baton takes`, rep.key(within, name), 'channel names hold letters, digits and _ . - and start with a letter, digit or _');
    return undefined;
  }
  if (!isMap(value)) {
    rep.error('CONFIG_TYPE', `\`${where}\` must be a mapping: its type (webhook, slack, email, command) and settings`, rep.value(within, name), EXAMPLE);
    return undefined;
  }
  const type = value.type ?? 'webhook';
  const fields = new ChannelFields(rep, value, where);
  const at = rep.key(within, name);
  switch (type) {
    case 'webhook':
      return webhookChannel(fields, at);
    case 'slack':
      return slackChannel(fields);
    case 'email':
      return emailChannel(fields, at);
    case 'command':
      return commandChannel(fields, at);
    default:
      rep.error(
        'CONFIG_TYPE',
        `\`${where}.type\` must be one of ${CHANNEL_TYPES.join(', ')}${typeof type === 'string' ? didYouMean(type, [...CHANNEL_TYPES]) : ''}`,
        rep.value(value, 'type'),
        'webhook: a POST of JSON; slack: an incoming webhook; email: over SMTP; command: a program given the notice on stdin (docs/configuration.md#notifications)',
      );
      return undefined;
  }
}

/**
 * Makes the channels' files and folders absolute, relative to the config file's folder
 * (`root`), wherever baton runs from; a command runs in `root` unless it says otherwise.
 */
export function resolveChannelPaths(channels: Record<string, NotifyChannel>, root: string): void {
  const at = (file: string | undefined) => (file === undefined ? undefined : path.resolve(root, file));
  for (const channel of Object.values(channels)) {
    if (channel.type === 'command') channel.cwd = path.resolve(root, channel.cwd ?? '.');
    else if (channel.url_file !== undefined) channel.url_file = at(channel.url_file);
    if (channel.type === 'webhook' && channel.secret_file !== undefined) channel.secret_file = at(channel.secret_file);
    if (channel.type === 'email' && channel.smtp !== undefined) {
      if (channel.smtp.user_file !== undefined) channel.smtp.user_file = at(channel.smtp.user_file);
      if (channel.smtp.password_file !== undefined) channel.smtp.password_file = at(channel.smtp.password_file);
    }
  }
}
