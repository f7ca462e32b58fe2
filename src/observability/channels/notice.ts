/**
 * A notice: what one notification says, whatever channel it goes to. It is plain data, so
 * an outbox row can hold it as JSON and a sender on another machine can send it later; the
 * channel's secrets are never in it (the sender reads them from its own configuration and
 * environment, send.ts).
 *
 * Glossary: a *notice* is the message; a *channel* is where it goes (a webhook, Slack, an
 * email, a command: spec/notify-channels.ts); a *delivery* id names one notice to one
 * channel, the same on every retry, so a receiver can tell a repeat (X-Baton-Delivery, the
 * email's Message-ID, BATON_NOTICE_DELIVERY).
 */

export interface Notice {
  /** A run ended; an alert rule fired; a notify task (or an approval) sends its message. */
  kind: 'run' | 'alert' | 'task';
  /** One line: "deploy failed", or the alert's name and the workflow. */
  title: string;
  /** The message body (a rendered template), may be multi-line. */
  text: string;
  /** Stable id of this notice to this channel: the same on every retry. */
  delivery: string;
  run_id?: string;
  workflow?: string;
  namespace?: string;
  /** The run's status (succeeded, failed, cancelled...). */
  status?: string;
  /** The first failed task, and its error's message. */
  failed_task?: string;
  error?: string;
  /** The last lines of that task's stderr, already masked. */
  error_tail?: string;
  duration_ms?: number;
  /** A link to the run in the UI, when server.public_url is known. */
  run_url?: string;
  /** The alert rule's name. */
  alert?: string;
  /** A notify task's key and attempt (kind `task`). */
  task?: string;
  attempt?: number;
  /** When the event that caused it happened (ms since epoch). */
  at: number;
}

/** What a channel said when it took a notice. */
export interface Delivered {
  /** The HTTP status (webhook, Slack), the SMTP reply code (email), the exit code (command). */
  status?: number;
  /** One line for a log: `POST https://hooks.slack.com/… -> 200`, `250 queued as 4F2A`. */
  detail: string;
}

/** Where a sender writes what it does (a notify task's log); default nowhere. */
export interface NoticeIO {
  stdout(chunk: string): void;
  stderr(chunk: string): void;
}

export interface SendOptions {
  /** Progress lines (the HTTP request line, a command's output); default: dropped. */
  io?: NoticeIO;
  /** A command channel's folder when the channel gives none; default process.cwd(). */
  cwd?: string;
  /** Who sends, as messages name it; default `channel <name>` (a notify task: `task tell (channel ops)`). */
  who?: string;
}

/** An emoji per status, as Slack shortcodes (Slack and email both show them). */
const STATUS_EMOJI: Record<string, string> = {
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  waiting: ':hourglass_flowing_sand:',
  running: ':arrows_counterclockwise:',
  interrupted: ':warning:',
  timed_out: ':alarm_clock:',
};

/** The same as characters, for email (which has no shortcodes). */
const STATUS_CHAR: Record<string, string> = {
  succeeded: '\u2705',
  failed: '\u274C',
  cancelled: '\u{1F6AB}',
  waiting: '\u23F3',
  running: '\u{1F504}',
  interrupted: '\u26A0\uFE0F',
  timed_out: '\u23F0',
};

/** `:x:` for a failed run; an alert without a status gets a siren; '' for what has none. */
export function statusEmoji(notice: Pick<Notice, 'status' | 'kind'>, form: 'shortcode' | 'char'): string {
  if (notice.status !== undefined) return (form === 'shortcode' ? STATUS_EMOJI : STATUS_CHAR)[notice.status] ?? '';
  if (notice.kind === 'alert') return form === 'shortcode' ? ':rotating_light:' : '\u{1F6A8}';
  return '';
}

/** A fact of a notice as a line of a message: label and value (both plain text). */
export interface Fact {
  label: string;
  value: string;
  /** Shown as code (a run id, a task key). */
  code?: boolean;
}

/** The short facts every channel shows, in one order: workflow, run, status, duration, alert, namespace, task. */
export function factsOf(notice: Notice): Fact[] {
  const facts: Fact[] = [];
  if (notice.workflow !== undefined) facts.push({ label: 'Workflow', value: notice.workflow });
  if (notice.run_id !== undefined) facts.push({ label: 'Run', value: notice.run_id, code: true });
  if (notice.status !== undefined) facts.push({ label: 'Status', value: notice.status });
  if (notice.duration_ms !== undefined) facts.push({ label: 'Duration', value: formatDuration(notice.duration_ms) });
  if (notice.alert !== undefined) facts.push({ label: 'Alert', value: notice.alert });
  if (notice.namespace !== undefined) facts.push({ label: 'Namespace', value: notice.namespace });
  if (notice.task !== undefined) facts.push({ label: 'Task', value: notice.task, code: true });
  if (notice.failed_task !== undefined) facts.push({ label: 'Failed task', value: notice.failed_task, code: true });
  return facts;
}

/** `850 ms`, `12.3 s`, `4m 05s`, `2h 03m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes}m ${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** At most `max` characters, the cut marked with `…` (at the end, or for a tail at the start). */
export function clip(text: string, max: number, keep: 'start' | 'end' = 'start'): string {
  if (text.length <= max) return text;
  return keep === 'start' ? `${text.slice(0, max - 1)}…` : `…${text.slice(text.length - max + 1)}`;
}
