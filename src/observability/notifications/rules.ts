/**
 * Which notifications a run's end causes: the outbox items (store/outbox.ts) written with
 * its end event, in the same transaction (engine/session.ts asks for them).
 *
 * - `notifications:` (the workflow's, else baton.config.yaml's `notifications.defaults`):
 *   one notice to each channel when the run fails (on_failure, default true), succeeds
 *   (on_success) or ends at all (on_completion).
 * - `alerts:` (the workflow's and baton.config.yaml's): each whose condition holds sends to
 *   its channels (default: the notifications' channels), once per rule, workflow and
 *   `window` (default 1h): a flapping workflow makes one alert per window, the repeats
 *   counted on it.
 *
 * Item keys make every notice once-only: `run:<run>:<end time>:<channel>` (a run's end
 * read again, or a run retried and failing again, which is another end) and
 * `alert:<namespace>:<workflow>:<rule>:<channel>:<window number>`.
 *
 * Child runs (a `uses:` skill, a workflow task) notify nothing of their own: their parent's
 * task fails and the parent run's end is what is told.
 */
import { createHash } from 'node:crypto';
import type { RunState } from '../../engine/state.js';
import type { Alert, Notifications } from '../../spec/model.js';
import type { TimedEvent } from '../../store/events.js';
import { MAX_OUTBOX_KEY, type OutboxItem } from '../../store/outbox.js';
import type { Store } from '../../store/store.js';
import type { Notice } from '../channels/notice.js';
import { alertHolds, renderAlertTemplate } from './condition.js';
import { alertContexts, endStatusOf, runEndFacts, type RunEndFacts } from './run-end.js';
import { recentStats, type WorkflowStats } from './stats.js';

/** One alert per rule, workflow and window by default. */
export const DEFAULT_ALERT_WINDOW_MS = 60 * 60 * 1000;

/** What baton.config.yaml says of every workflow's runs. */
export interface NoticePolicy {
  /** `notifications.defaults`: for workflows with no `notifications:` of their own. */
  defaults?: Notifications;
  /** Top-level `alerts:`: evaluated for every workflow's runs, after the workflow's own. */
  alerts?: readonly Alert[];
  /** `server.public_url`: runs are linked as <public_url>/runs/<id>. */
  publicUrl?: string;
}

/** Makes the items a run's end causes (DriveOptions.notices). */
export type NoticeMaker = (end: TimedEvent, state: RunState, store: Store) => Promise<OutboxItem[]>;

/** Told what could not be evaluated (a condition on a value of the wrong type): the rule is skipped, the run goes on. */
export type RuleWarning = (message: string) => void;

export function noticeMaker(policy: NoticePolicy, warn: RuleWarning = () => {}): NoticeMaker {
  return async (end, state, store) => {
    const status = endStatusOf(end);
    if (status === undefined) return [];
    const workflow = state.plan.workflow;
    const notifications = workflow.notifications ?? policy.defaults;
    const alerts = [...(workflow.alerts ?? []), ...(policy.alerts ?? [])];
    if (notifications === undefined && alerts.length === 0) return [];
    const facts = runEndFacts(state, end, status);
    const items: OutboxItem[] = [];
    if (notifications && tells(notifications, status)) {
      for (const channel of new Set(notifications.channels)) items.push(runItem(facts, channel, policy.publicUrl));
    }
    if (alerts.length === 0) return items;
    const stats = await lazyStats(store, facts, alerts, workflow.expected_duration === undefined);
    const expected = workflow.expected_duration ?? stats?.p50_ms ?? undefined;
    for (const alert of alerts) {
      const contexts = alertContexts(facts, expected, stats, alert.name);
      // A condition about the expected duration says nothing until there is one.
      if (expected === undefined && /expected_duration|duration_ratio/.test(alert.condition)) continue;
      let holds: boolean;
      try {
        holds = alertHolds(alert.condition, contexts);
      } catch (error) {
        warn(`alert ${alert.name} of run ${facts.runId} could not be evaluated: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (!holds) continue;
      const channels = alert.channels.length > 0 ? alert.channels : (notifications?.channels ?? []);
      if (channels.length === 0) warn(`alert ${alert.name} held for run ${facts.runId}, but names no channel and the workflow notifies none`);
      for (const channel of new Set(channels)) items.push(alertItem(facts, alert, channel, contexts, policy.publicUrl, warn));
    }
    return items;
  };
}

function tells(notifications: Notifications, status: RunEndFacts['status']): boolean {
  if (notifications.on_completion) return true;
  return (status === 'failed' && notifications.on_failure) || (status === 'succeeded' && notifications.on_success);
}

/** The workflow's recent numbers, read only when a rule needs them. */
async function lazyStats(store: Store, facts: RunEndFacts, alerts: readonly Alert[], noExpected: boolean): Promise<WorkflowStats | undefined> {
  const reads = (text: string | undefined) => text !== undefined && (/\bmetrics\b/i.test(text) || (noExpected && /expected_duration|duration_ratio/.test(text)));
  if (!alerts.some((alert) => reads(alert.condition) || reads(alert.template))) return undefined;
  return recentStats(store, facts);
}

function runItem(facts: RunEndFacts, channel: string, publicUrl: string | undefined): OutboxItem {
  const key = boundedKey(`run:${facts.runId}:${facts.at}:${channel}`);
  const lines = [`Run ${facts.runId} of ${facts.workflow} ${facts.status} after ${shortDuration(facts.durationMs)}.`];
  if (facts.failedTask !== undefined) lines.push(`Failed task: ${facts.failedTask}${facts.error ? `: ${facts.error.message}` : ''}`);
  else if (facts.status !== 'succeeded' && facts.error) lines.push(facts.error.message);
  return item(facts, channel, key, { kind: 'run', title: `${facts.workflow} ${facts.status}`, text: lines.join('\n') }, publicUrl);
}

function alertItem(facts: RunEndFacts, alert: Alert, channel: string, contexts: Record<string, unknown>, publicUrl: string | undefined, warn: RuleWarning): OutboxItem {
  const window = alert.window ?? DEFAULT_ALERT_WINDOW_MS;
  const key = boundedKey(`alert:${facts.namespace}:${facts.workflow}:${alert.name}:${channel}:${Math.floor(facts.at / window)}`);
  let text = `${alert.name}: \`${alert.condition}\` held for run ${facts.runId} of ${facts.workflow} (${facts.status}).`;
  if (alert.template !== undefined) {
    try {
      text = renderAlertTemplate(alert.template, contexts);
    } catch (error) {
      warn(`the template of alert ${alert.name} could not be rendered for run ${facts.runId}: ${error instanceof Error ? error.message : String(error)}`);
      text = `${alert.template}\n(${text})`;
    }
  }
  return item(facts, channel, key, { kind: 'alert', title: `${alert.name}: ${facts.workflow}`, text, alert: alert.name }, publicUrl);
}

function item(facts: RunEndFacts, channel: string, key: string, head: Pick<Notice, 'kind' | 'title' | 'text'> & { alert?: string }, publicUrl: string | undefined): OutboxItem {
  const notice: Notice = {
    ...head,
    delivery: key,
    run_id: facts.runId,
    workflow: facts.workflow,
    namespace: facts.namespace,
    status: facts.status,
    duration_ms: facts.durationMs,
    at: facts.at,
  };
  if (facts.failedTask !== undefined) notice.failed_task = facts.failedTask;
  if (facts.error) notice.error = facts.error.message;
  if (facts.error?.stderr_tail) notice.error_tail = facts.error.stderr_tail;
  if (publicUrl !== undefined) notice.run_url = `${publicUrl.replace(/\/+$/, '')}/runs/${encodeURIComponent(facts.runId)}`;
  return { key, namespace: facts.namespace, channel, run_id: facts.runId, notice: notice as unknown as Record<string, unknown> };
}

/** Keys stay within what every store takes: a long one keeps its start and a hash of the whole. */
function boundedKey(key: string): string {
  if (key.length <= MAX_OUTBOX_KEY) return key;
  return `${key.slice(0, MAX_OUTBOX_KEY - 65)}#${createHash('sha256').update(key).digest('hex')}`;
}

function shortDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return minutes < 60 ? `${minutes} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
