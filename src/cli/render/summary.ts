import type { RunSummary, TaskCounts, TaskSummary } from '../../engine/summary.js';
import type { Compensation } from '../../store/events.js';
import { duration, table, truncate, type Paint } from './format.js';
import { visible } from './visible.js';
import { waitLine } from './progress.js';
import { shellWord } from '../../expr/shell.js';

/** Rows shown at most in the task table; the rest are counted, failures always shown. */
export const MAX_TABLE_ROWS = 40;
const STDERR_LINES = 10;

const ORDER: Record<string, number> = { failed: 0, cancelled: 1, running: 2, waiting: 3, retrying: 3, ready: 4, pending: 5, skipped: 6, succeeded: 7 };

/** The human summary printed when a run ends: bounded however big the run. */
export function renderSummary(summary: RunSummary, paint: Paint, hint: { file?: string; durable?: boolean } = {}): string {
  const out: string[] = [];
  const status = colorStatus(summary.status, paint);
  out.push(
    `${paint.bold(`Run ${summary.run_id}`)} ${visible(summary.workflow.name)}: ${status}${summary.status === 'waiting' ? ` after ${duration(summary.duration_ms)}` : summary.started_at === undefined && summary.status === 'cancelled' ? ' before it started' : ` in ${duration(summary.duration_ms)}`}`,
  );
  if (summary.compensation !== undefined) out.push(`  ${compensationLine(summary.compensation, paint)}`);
  if (summary.summary !== undefined && summary.summary.trim() !== '') {
    for (const line of visible(summary.summary.trimEnd(), { lines: true }).split('\n')) out.push(`  ${line}`);
  } else if (summary.result !== undefined) {
    out.push(`  ${truncate(visible(JSON.stringify(summary.result)), 200)}`);
  }
  if (summary.status === 'cancelled' && summary.reason !== undefined) out.push(`  ${visible(summary.reason)}`);
  if (summary.tasks.length === 0 && summary.code) out.push(paint.dim('  (no steps)'));
  let shown = summary.tasks;
  if (shown.length > MAX_TABLE_ROWS) {
    shown = [...shown].sort((a, b) => ORDER[a.status] - ORDER[b.status]).slice(0, MAX_TABLE_ROWS);
  }
  const rows = [[paint.dim('TASK'), paint.dim('STATUS'), paint.dim('DURATION'), paint.dim('ATTEMPTS'), paint.dim('NOTE')]];
  for (const task of shown) {
    rows.push([
      truncate(visible(task.id), 48),
      colorStatus(task.status, paint),
      duration(task.duration_ms),
      String(task.attempts),
      truncate(note(task), 70),
    ]);
  }
  if (summary.tasks.length > 0 || !summary.code) out.push(table(rows));
  const hidden = summary.tasks.length - shown.length;
  if (hidden > 0) out.push(paint.dim(`  ... and ${hidden} more tasks (${countsLine(summary.counts)})`));
  else out.push(paint.dim(`  ${countsLine(summary.counts)}`));

  const failures = summary.tasks.filter((t) => t.status === 'failed' && t.error && !isComposite(t));
  if (failures.length > 0) {
    out.push('', paint.bold('Failures:'));
    for (const task of failures.slice(0, 10)) out.push(renderFailure(task, paint));
    if (failures.length > 10) out.push(paint.dim(`  ... and ${failures.length - 10} more failed tasks (see --json)`));
    if (hint.durable) {
      const task = visible(failures[0].id);
      // A compensated run cannot be retried: what succeeded was undone.
      const next = summary.compensation === undefined ? `Fix the cause, then retry what failed: baton retry ${summary.run_id}` : hint.file ? `Fix the cause, then run it again: baton run ${shellWord(visible(hint.file))}` : 'Fix the cause, then start a new run';
      out.push('', paint.dim(`Output: baton logs ${summary.run_id} ${shellWord(task)}`), paint.dim(next));
    } else if (hint.file) out.push('', paint.dim(`Fix the cause, then run again: baton run ${shellWord(visible(hint.file))}`));
  } else if (summary.error && summary.status === 'failed') {
    out.push('', `${paint.red('error')}: ${visible(summary.error.message, { lines: true })} [${summary.error.code}]`);
    const tail = summary.error.stderr_tail?.trimEnd();
    if (tail) for (const line of tail.split('\n').slice(-STDERR_LINES)) out.push(paint.dim(`      │ ${truncate(visible(line), 200)}`));
  }
  if (summary.waits && summary.waits.length > 0) {
    out.push('', paint.bold('Waiting for:'));
    for (const wait of summary.waits) out.push(`  ${visible(wait.task)} ${waitLine(wait, summary.run_id)}`);
  }
  if (summary.code && hint.durable && summary.status !== 'succeeded' && failures.length === 0) out.push('', paint.dim(`Output: baton logs ${summary.run_id}`));
  return out.join('\n') + '\n';
}

function renderFailure(task: TaskSummary, paint: Paint): string {
  const error = task.error!;
  const saysExit = error.exit_code === undefined || error.message.includes(`code ${error.exit_code}`);
  const exit = saysExit ? '' : `exit code ${error.exit_code}, `;
  const tries = task.attempts > 1 && !error.not_retried?.startsWith('attempts exhausted') ? ` after ${task.attempts} attempts` : '';
  const why = error.not_retried === undefined ? '' : paint.dim(`; not retried: ${visible(error.not_retried)}`);
  const lines = [`  ${paint.red('✖')} ${visible(task.id)}: ${exit}${visible(error.message, { lines: true })} [${error.code}]${tries}${why}`];
  const tail = error.stderr_tail?.trimEnd();
  if (tail) {
    const tailLines = tail.split('\n').slice(-STDERR_LINES);
    for (const line of tailLines) lines.push(paint.dim(`      │ ${truncate(visible(line), 200)}`));
  }
  return lines.join('\n');
}

function note(task: TaskSummary): string {
  if (task.status === 'failed' && task.error) return visible(task.error.message.split('\n')[0]);
  if (task.reason) return visible(task.reason);
  if (task.fallback_from !== undefined && task.status === 'succeeded') return `by its fallback (attempt ${task.fallback_from})`;
  return '';
}

function isComposite(task: TaskSummary): boolean {
  return task.type === 'parallel' || task.type === 'loop' || task.type === 'conditional';
}

/** `18 tasks: 15 succeeded, 3 skipped`: the counts line of the summary and of `status`. */
export function countsLine(counts: TaskCounts): string {
  const parts: string[] = [];
  for (const status of ['succeeded', 'failed', 'skipped', 'cancelled', 'running', 'waiting', 'retrying', 'ready', 'pending'] as const) {
    if (counts[status] > 0) parts.push(`${counts[status]} ${status}`);
  }
  return `${counts.total} task${counts.total === 1 ? '' : 's'}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
}

/**
 * `3 ok, 1 skipped`: the TASKS column of `history`. Skipped tasks are counted apart from
 * the ones that succeeded, never as missing from them (`3/4 ok` read as a failure).
 */
export function shortCounts(counts: TaskCounts): string {
  if (counts.total === 0) return '-';
  const parts = [`${counts.succeeded} ok`];
  if (counts.failed > 0) parts.push(`${counts.failed} failed`);
  if (counts.cancelled > 0) parts.push(`${counts.cancelled} cancelled`);
  if (counts.skipped > 0) parts.push(`${counts.skipped} skipped`);
  const running = counts.running + counts.retrying;
  if (running > 0) parts.push(`${running} running`);
  const waiting = counts.pending + counts.ready;
  if (waiting > 0) parts.push(`${waiting} waiting`);
  return parts.join(', ');
}

export function colorStatus(status: string, paint: Paint): string {
  switch (status) {
    case 'succeeded':
      return paint.green(status);
    case 'failed':
      return paint.red(status);
    case 'cancelled':
    case 'retrying':
    case 'waiting':
    case 'queued':
      return paint.yellow(status);
    case 'skipped':
    case 'pending':
      return paint.dim(status);
    default:
      return status;
  }
}

/** `compensated: undid charge, reserve`, or where the undoing stopped. */
export function compensationLine(compensation: Compensation, paint: Paint): string {
  const list = (keys: string[]) => keys.map((key) => visible(key)).join(', ');
  if (compensation.status === 'compensated') return `${paint.yellow('compensated')}: undid ${list(compensation.tasks)}`;
  const failed = compensation.failed ?? '';
  const before = compensation.tasks.slice(0, compensation.tasks.indexOf(failed));
  return `${paint.red('compensation failed')}: compensate[${visible(failed)}] did not succeed${before.length > 0 ? ` (after undoing ${list(before)})` : ''}; not undone: ${list(compensation.tasks.slice(compensation.tasks.indexOf(failed)))}`;
}
