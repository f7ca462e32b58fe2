/**
 * A notify task: `notify: <channel>` (a channel of baton.config.yaml) or `notify: {url,
 * secret_env | secret, headers}` (a webhook written here), with a `message`. Checked here:
 * that both are given, a channel the configuration has (when the loader knows the
 * configuration's channels), a webhook's URL, and that a signing key is never written in
 * clear: it comes from the environment (`secret_env`) or from a secret (`secret: ${
 * secrets.NAME }`), so neither the file nor the run's events hold it.
 */
import type { Reporter } from './diagnostics.js';
import { checkUrlAt } from './exprs.js';
import type { NotifyTarget, NotifyTask, TaskBase } from './model.js';
import { headersOf, missing, type LeafContext } from './normalize-leaf.js';
import { POOL_NAME } from './normalize-resources.js';
import { has, map, str } from './raw.js';
import type { RawMap } from './raw.js';
import { didYouMean } from './suggest.js';

/** The fields of a notify task (besides those of every task). */
export const NOTIFY_TASK_FIELDS = ['notify', 'message'];

/** A channel's name: as a pool's (letters, digits, _ . -). */
export const CHANNEL_NAME = POOL_NAME;

export function notifyTask(base: TaskBase, raw: RawMap, ctx: LeafContext): NotifyTask {
  const { rep } = ctx;
  if (!has(raw, 'notify')) missing(rep, raw, 'a notify task', 'notify', "where the message goes: a channel of baton.config.yaml (notify: ops), or a webhook (notify: {url: ...})");
  if (!has(raw, 'message')) missing(rep, raw, 'a notify task', 'message', 'the text sent, e.g. message: "deploy of ${ inputs.release } finished"');
  ctx.exprs.template(raw, 'message');
  return { ...base, type: 'notify', ...notifyTarget(raw, ctx), message: str(raw, 'message') ?? '' };
}

/** Where `notify:` sends (a notify task's, an approval's): a channel's name, or a webhook written here. */
export function notifyTarget(raw: RawMap, ctx: LeafContext): NotifyTarget {
  const { rep } = ctx;
  const task: NotifyTarget = { headers: {} };
  const channel = str(raw, 'notify');
  if (channel !== undefined) {
    checkChannel(channel, raw, ctx);
    task.channel = channel;
    return task;
  }
  const hook = map(raw, 'notify');
  if (hook === undefined) return task;
  const url = str(hook, 'url');
  if (!has(hook, 'url')) missing(rep, hook, 'a notify webhook', 'url', 'e.g. url: "${ secrets.OPS_HOOK_URL }"');
  if (url !== undefined) {
    task.url = url;
    ctx.exprs.template(hook, 'url');
    checkUrlAt(rep, hook, 'url');
    if (!url.includes('${') && !/^https?:\/\//i.test(url)) rep.error('SPEC_INVALID_VALUE', `'${url}' is not an http:// or https:// URL`, rep.value(hook, 'url'), 'a webhook is sent over HTTP: url: https://hooks.example.com/...');
  }
  const secretEnv = str(hook, 'secret_env');
  if (secretEnv !== undefined) task.secret_env = secretEnv;
  const secret = str(hook, 'secret');
  if (secret !== undefined) {
    if (secretEnv !== undefined) rep.error('SPEC_CONFLICT', 'give either `secret_env` or `secret`, not both', rep.key(hook, 'secret'));
    checkSecret(secret, hook, rep);
    task.secret = secret;
    ctx.exprs.template(hook, 'secret');
  }
  task.headers = headersOf(hook, ctx);
  return task;
}

function checkChannel(name: string, raw: RawMap, ctx: LeafContext): void {
  const { rep } = ctx;
  if (!CHANNEL_NAME.test(name)) {
    rep.error('SPEC_INVALID_VALUE', `'${name}' is not a channel name: letters, digits and _ . -`, rep.value(raw, 'notify'), 'name a channel of baton.config.yaml (notify: ops), or give a webhook: notify: {url: ...}');
    return;
  }
  const known = ctx.channels;
  if (known === undefined || known.includes(name)) return;
  rep.error(
    'SPEC_UNKNOWN_CHANNEL',
    `no notification channel '${name}'${didYouMean(name, known)}`,
    rep.value(raw, 'notify'),
    known.length > 0 ? `baton.config.yaml defines: ${known.join(', ')}` : 'define it in baton.config.yaml under notifications.channels (docs/configuration.md), or give a webhook here: notify: {url: ...}',
  );
}

/**
 * A signing key in the file would be in every copy of it and in the run's events: it must
 * be a template that reads a secret (masked wherever it is shown).
 */
function checkSecret(secret: string, hook: RawMap, rep: Reporter): void {
  if (secret.includes('${') && /\bsecrets\s*(\.|\[)/.test(secret)) return;
  const what = secret.includes('${') ? 'reads no secret: its value would be recorded in clear' : 'is written in clear';
  rep.error(
    'SPEC_SECRET_IN_CLEAR',
    `the webhook's signing key ${what}`,
    rep.value(hook, 'secret'),
    'keep it in an environment variable (secret_env: HOOK_KEY), or in a secret: secret: "${ secrets.HOOK_KEY }" with HOOK_KEY under the workflow\'s `secrets:`',
  );
}
