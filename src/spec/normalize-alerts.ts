/**
 * `notifications:`, `alerts:` and `expected_duration:` of a workflow (docs/observability.md).
 * Checked here, before any run: each channel named is one baton.config.yaml defines (when
 * the loader knows them), each alert has a name (unique) and a condition that parses over
 * the alert contexts, its template parses, and its window is a duration.
 */
import { alertConditionProblem, alertTemplateProblem, ALERT_CONTEXTS } from '../observability/notifications/condition.js';
import type { Reporter } from './diagnostics.js';
import type { Alert, Notifications } from './model.js';
import { durationOf } from './normalize-leaf.js';
import { bool, isMap, map, str, strings, type RawMap } from './raw.js';
import { didYouMean } from './suggest.js';

const ALERT_NAMES = new Set<string>(ALERT_CONTEXTS);
/** The channel every project has without configuring it (observability/notifications/sender.ts channelNamed). */
export const IMPLICIT_SLACK = 'slack';

/** `notifications:` of a workflow (or, with `key`, baton.config.yaml's `notifications.defaults`). */
export function notificationsOf(raw: RawMap, rep: Reporter, channels?: readonly string[], key = 'notifications'): Notifications | undefined {
  const n = map(raw, key);
  if (n === undefined) return undefined;
  checkChannels(n, rep, channels);
  return {
    channels: strings(n, 'channels'),
    on_completion: bool(n, 'on_completion') ?? false,
    on_failure: bool(n, 'on_failure') ?? true,
    on_success: bool(n, 'on_success') ?? false,
  };
}

export function alertsOf(raw: RawMap, rep: Reporter, channels?: readonly string[]): Alert[] {
  if (!Array.isArray(raw.alerts)) return [];
  const seen = new Set<string>();
  return raw.alerts.filter(isMap).map((a) => {
    const alert: Alert = { name: str(a, 'name') ?? '', condition: str(a, 'condition') ?? '', channels: strings(a, 'channels') };
    if (alert.name === '') rep.error('SPEC_MISSING_FIELD', 'an alert needs a name', rep.value(a), 'e.g. - {name: slow-deploy, condition: "execution.duration > 600000"}');
    else if (seen.has(alert.name)) rep.error('SPEC_DUPLICATE_ID', `two alerts are named '${alert.name}'`, rep.value(a, 'name'), 'each alert is sent once per window by its name: give each its own');
    seen.add(alert.name);
    if (typeof a.condition !== 'string') rep.error('SPEC_MISSING_FIELD', `alert '${alert.name}' needs a condition`, rep.key(a, 'name'), "e.g. condition: \"execution.status == 'failed'\"");
    else {
      const problem = alertConditionProblem(alert.condition);
      if (problem) rep.error('SPEC_EXPR_SYNTAX', `the condition of alert '${alert.name}': ${problem.message.replace(/ Contexts are: [^;]*;/, ` An alert reads: ${[...ALERT_NAMES].join(', ')};`)}`, rep.value(a, 'condition'), 'see docs/observability.md#alerts');
    }
    const template = str(a, 'template');
    if (template !== undefined) {
      alert.template = template;
      const problem = alertTemplateProblem(template);
      if (problem) rep.error('SPEC_EXPR_SYNTAX', `the template of alert '${alert.name}': ${problem.message.replace(/ Contexts are: [^;]*;/, ` An alert reads: ${[...ALERT_NAMES].join(', ')};`)}`, rep.value(a, 'template'), 'see docs/observability.md#alerts');
    }
    if (a.window !== undefined) {
      const ms = durationOf(a.window, 's');
      // Not a duration at all: the schema says so (SPEC_DURATION).
      if (ms === undefined) return alert;
      if (ms <= 0) rep.error('SPEC_INVALID_VALUE', `the window of alert '${alert.name}' must be a duration (30m, 1h, 1d)`, rep.value(a, 'window'), 'at most one alert of the rule per workflow within it; default 1h');
      else alert.window = ms;
    }
    checkChannels(a, rep, channels);
    return alert;
  });
}

export function expectedDurationOf(raw: RawMap, rep: Reporter): number | undefined {
  if (raw.expected_duration === undefined) return undefined;
  const ms = durationOf(raw.expected_duration, 's');
  if (ms === undefined || ms <= 0) {
    rep.error('SPEC_INVALID_VALUE', '`expected_duration` must be a duration (90s, 10m, 1h)', rep.value(raw, 'expected_duration'), 'how long a run usually takes, for alerts such as execution.duration > workflow.expected_duration * 2');
    return undefined;
  }
  return ms;
}

function checkChannels(container: RawMap, rep: Reporter, known: readonly string[] | undefined): void {
  if (known === undefined || !Array.isArray(container.channels)) return;
  container.channels.forEach((name, index) => {
    // `slack` needs no configuration: Slack's incoming webhook in SLACK_WEBHOOK_URL (seed 004).
    if (typeof name !== 'string' || known.includes(name) || name === IMPLICIT_SLACK) return;
    rep.error(
      'SPEC_UNKNOWN_CHANNEL',
      `no notification channel '${name}'${didYouMean(name, known)}`,
      rep.value(container.channels as unknown[], index),
      known.length > 0 ? `baton.config.yaml defines: ${known.join(', ')}` : 'define it in baton.config.yaml under notifications.channels (docs/configuration.md)',
    );
  });
}
