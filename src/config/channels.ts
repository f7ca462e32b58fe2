/**
 * `notifications:` of baton.config.yaml: the named channels that notify tasks send to
 * (`notify: ops`). A channel is a webhook for now (docs/executors.md#notify):
 *
 *   notifications:
 *     channels:
 *       ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}
 *
 * Its secrets are never written here: the signing key comes from an environment variable
 * (`secret_env`), and so may the URL when it holds a token (`url_env`). Read where the task
 * runs (the process driving the run, or the worker that took it). Checked with
 * file:line:col like every setting; pure.
 */
import type { Reporter } from '../spec/diagnostics.js';
import type { NotifyChannel } from '../spec/model.js';
import { CHANNEL_NAME } from '../spec/normalize-notify.js';
import { ENV_NAME } from '../spec/schema-workflow-notify.js';
import { didYouMean } from '../spec/suggest.js';

export interface NotificationSettings {
  /** Channels by name. */
  channels: Record<string, NotifyChannel>;
}

type Map = Record<string, unknown>;

const SECTION = ['channels'];
const CHANNEL = ['type', 'url', 'url_env', 'secret_env', 'headers'];
const EXAMPLE = 'e.g. ops: {url_env: OPS_HOOK_URL, secret_env: OPS_HOOK_KEY}';

/** Reads `notifications` of the config's top level; undefined (reported) when it is not what it should be. */
export function parseNotifications(map: Map, rep: Reporter): NotificationSettings | undefined {
  const raw = map.notifications;
  if (!isMap(raw)) {
    rep.error('CONFIG_TYPE', '`notifications` must be a mapping: channels', rep.value(map, 'notifications'), 'e.g. notifications: {channels: {ops: {url_env: OPS_HOOK_URL}}}');
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (!SECTION.includes(key)) rep.error('CONFIG_UNKNOWN_FIELD', `unknown setting 'notifications.${key}'${didYouMean(key, SECTION)}`, rep.key(raw, key), 'the settings of `notifications` are: channels');
  }
  const channels: Record<string, NotifyChannel> = {};
  if (raw.channels === undefined) return { channels };
  if (!isMap(raw.channels)) {
    rep.error('CONFIG_TYPE', '`notifications.channels` must be a mapping of channel name: channel', rep.value(raw, 'channels'), EXAMPLE);
    return undefined;
  }
  for (const [name, value] of Object.entries(raw.channels)) {
    const channel = channelOf(name, value, raw.channels, rep);
    if (channel !== undefined) channels[name] = channel;
  }
  return { channels };
}

function channelOf(name: string, value: unknown, within: Map, rep: Reporter): NotifyChannel | undefined {
  const where = `notifications.channels.${name}`;
  if (!CHANNEL_NAME.test(name)) {
    rep.error('CONFIG_TYPE', `channel name '${name}' is not one baton takes`, rep.key(within, name), 'channel names hold letters, digits and _ . - and start with a letter, digit or _');
    return undefined;
  }
  if (!isMap(value)) {
    rep.error('CONFIG_TYPE', `\`${where}\` must be a mapping: url or url_env, secret_env, headers`, rep.value(within, name), EXAMPLE);
    return undefined;
  }
  let ok = true;
  const bad = (at: ReturnType<Reporter['value']>, message: string, hint?: string) => {
    rep.error('CONFIG_TYPE', message, at, hint);
    ok = false;
  };
  for (const key of Object.keys(value)) {
    if (CHANNEL.includes(key)) continue;
    const hint = key === 'secret' ? 'a signing key is never written here: put it in an environment variable and name it with secret_env' : `a channel's settings are: ${CHANNEL.join(', ')}`;
    rep.error('CONFIG_UNKNOWN_FIELD', `unknown setting '${where}.${key}'${didYouMean(key, CHANNEL)}`, rep.key(value, key), hint);
    ok = false;
  }
  if (value.type !== undefined && value.type !== 'webhook') bad(rep.value(value, 'type'), `\`${where}.type\` must be webhook, the kind of channel baton sends to`, 'a webhook gets a POST of JSON (docs/executors.md#notify)');
  const url = value.url;
  const urlEnv = value.url_env;
  if (url !== undefined && urlEnv !== undefined) bad(rep.key(value, 'url_env'), `\`${where}\`: give either url or url_env, not both`);
  else if (url === undefined && urlEnv === undefined) bad(rep.key(within, name), `\`${where}\` needs url, or url_env (the environment variable holding it)`, EXAMPLE);
  if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\/[^/]/i.test(url))) bad(rep.value(value, 'url'), `\`${where}.url\` must be an http:// or https:// URL`, 'a URL holding a token is better kept in an environment variable: url_env: OPS_HOOK_URL');
  for (const key of ['url_env', 'secret_env'] as const) {
    const env = value[key];
    if (env !== undefined && (typeof env !== 'string' || !ENV_NAME.test(env))) bad(rep.value(value, key), `\`${where}.${key}\` must name an environment variable (letters, digits, _)`);
  }
  const headers: Record<string, string> = {};
  if (value.headers !== undefined) {
    if (!isMap(value.headers)) bad(rep.value(value, 'headers'), `\`${where}.headers\` must be a mapping of header name: value`);
    else {
      for (const [header, text] of Object.entries(value.headers)) {
        if (typeof text !== 'string' && typeof text !== 'number') bad(rep.value(value.headers, header), `header "${header}" of \`${where}\` must be a string`);
        else if (/[\r\n\0]/.test(String(text))) bad(rep.value(value.headers, header), `header "${header}" of \`${where}\` holds a line break or a NUL byte`);
        else headers[header] = String(text);
      }
    }
  }
  if (!ok) return undefined;
  return {
    type: 'webhook',
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof urlEnv === 'string' ? { url_env: urlEnv } : {}),
    ...(typeof value.secret_env === 'string' ? { secret_env: value.secret_env } : {}),
    headers,
  };
}

function isMap(value: unknown): value is Map {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
