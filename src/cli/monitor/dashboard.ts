/**
 * The monitor's first page, drawn from an overview (runs/overview.ts): a header of counts,
 * the unfinished runs with what runs in each (progress bars, a loop's iterations), the runs
 * that ended last. Runs can be selected: the unfinished ones, then the ended ones.
 */
import type { ActiveRun, ActiveTask, EndedRun, Overview } from '../../runs/overview.js';
import type { RunJson } from '../../runs/run-view.js';
import { duration } from '../render/format.js';
import { relativeTime } from '../render/time.js';
import { bar, fit, progressText, safe, selected, shortId, type Colors, type Part, type Style } from './text.js';

/** A page's body: its lines, and which of them is the selected row. */
export interface Body {
  lines: string[];
  selectedLine?: number;
}

/** A run the dashboard lists, in the order the selection moves through them. */
export interface Listed {
  runId: string;
  workflow: string;
  status: string;
}

export function listedRuns(overview: Overview): Listed[] {
  return [...overview.active, ...overview.recent].map((run) => ({ runId: run.run_id, workflow: run.workflow.name, status: run.status }));
}

export function statusStyle(status: string): Style {
  switch (status) {
    case 'succeeded':
      return 'green';
    case 'failed':
    case 'interrupted':
      return 'red';
    case 'cancelled':
    case 'retrying':
    case 'waiting':
    case 'queued':
      return 'yellow';
    case 'skipped':
    case 'pending':
      return 'dim';
    default:
      return 'plain';
  }
}

/** The counts under the title: what a glance needs. */
export function countsLine(overview: Overview, width: number, c: Colors): string {
  const n = overview.counts;
  const parts: Part[] = [
    [`running ${n.running}`, 'bold'],
    '  ',
    [`interrupted ${n.interrupted}`, n.interrupted > 0 ? 'red' : 'plain'],
    '  ',
    [`waiting ${n.waiting}`, n.waiting > 0 ? 'yellow' : 'plain'],
    '  ',
    [`queued ${n.queued}`, n.queued > 0 ? 'yellow' : 'plain'],
    '  ',
    [`failed 1h ${n.failed_1h} 24h ${n.failed_24h}`, n.failed_1h > 0 ? 'red' : 'plain'],
    '  ',
    `workers ${n.workers}`,
    '  ',
    `queue ${n.queue.ready} ready ${n.queue.claimed} running`,
  ];
  return fit(parts, width, c);
}

/** The dashboard's lines; `selection` indexes listedRuns(overview). */
export function dashboardBody(overview: Overview, selection: number, width: number, c: Colors): Body {
  const now = Date.parse(overview.at);
  const lines: string[] = [];
  let selectedLine: number | undefined;
  let index = 0;
  const row = (parts: Part[]) => {
    if (index === selection) selectedLine = lines.length;
    lines.push(index === selection ? selected(parts, width, c) : fit(['  ', ...parts], width, c));
    index++;
  };
  const nameWidth = Math.min(28, Math.max(8, ...[...overview.active, ...overview.recent].map((run) => safe(run.workflow.name).length)));

  const n = overview.counts;
  const unfinished = n.running + n.interrupted + n.waiting + n.queued;
  lines.push(fit([['UNFINISHED RUNS', 'bold'], overview.active.length < unfinished ? [`  (${overview.active.length} of ${unfinished} shown)`, 'dim'] : ''], width, c));
  if (overview.active.length === 0) lines.push(fit([['  none', 'dim']], width, c));
  for (const run of overview.active) {
    row(activeRunParts(run, nameWidth));
    for (const task of run.tasks) lines.push(fit(['      ', ...taskParts(task, width - 6)], width, c));
    if (run.more_tasks) lines.push(fit([[`      … ${run.more_tasks} more running`, 'dim']], width, c));
  }
  lines.push('');
  lines.push(fit([['RECENTLY ENDED', 'bold']], width, c));
  if (overview.recent.length === 0) lines.push(fit([['  none yet', 'dim']], width, c));
  for (const run of overview.recent) row(endedRunParts(run, nameWidth, now));
  return { lines, ...(selectedLine === undefined ? {} : { selectedLine }) };
}

function head(run: RunJson, nameWidth: number): Part[] {
  const name = safe(run.workflow.name);
  return [shortId(run.run_id), '  ', (name.length > nameWidth ? name.slice(0, nameWidth - 1) + '…' : name).padEnd(nameWidth), '  ', [run.status.padEnd(11), statusStyle(run.status)]];
}

function doneOf(run: RunJson): string {
  const n = run.counts;
  return `${n.succeeded + n.failed + n.skipped + n.cancelled}/${n.total} tasks`;
}

function activeRunParts(run: ActiveRun, nameWidth: number): Part[] {
  const parts = [...head(run, nameWidth), ' ', duration(run.elapsed_ms).padStart(7), '  ', doneOf(run)];
  if (run.queue?.position !== undefined) parts.push(['  #' + run.queue.position + ' in the queue', 'dim']);
  if (run.cancel_requested !== undefined) parts.push(['  cancelling', 'yellow']);
  if (run.status === 'interrupted') parts.push(['  its process is gone: baton resume', 'dim']);
  return parts;
}

function endedRunParts(run: EndedRun, nameWidth: number, now: number): Part[] {
  const parts = [...head(run, nameWidth), ' ', duration(run.duration_ms).padStart(7), '  ', [run.ended_at ? relativeTime(Date.parse(run.ended_at), now) : '', 'dim'] as const];
  if (run.failed_task) {
    const why = run.failed_task.code ? ` ${run.failed_task.code}${run.failed_task.message ? `: ${safe(run.failed_task.message)}` : ''}` : '';
    parts.push('  ', [`${safe(run.failed_task.id)}`, 'red'], why);
  } else if (run.reason) parts.push(['  ' + safe(run.reason), 'dim']);
  return parts;
}

/** A running task: its key, how long, and its progress (a bar when it said how far), or a loop's iterations ended of all. */
export function taskParts(task: ActiveTask, width: number): Part[] {
  const parts: Part[] = [safe(task.id), '  '];
  if (task.status !== 'running') parts.push([task.status, statusStyle(task.status)], '  ');
  const progress = task.progress;
  if (progress?.source === 'iterations' && progress.done !== undefined && progress.total !== undefined) {
    // `loop 2/3  ███████░░░  · 5s left`
    parts.push([task.type === 'loop' ? 'loop' : 'items', 'dim'], ` ${progress.done}/${progress.total}  `, bar(progress.total === 0 ? 0 : progress.done / progress.total, 10));
    if (progress.eta_ms !== undefined) parts.push(`  ${duration(progress.eta_ms)} left`);
    return parts;
  }
  if (task.elapsed_ms !== undefined) parts.push(duration(task.elapsed_ms), '  ');
  if (task.attempts > 1) parts.push([`attempt ${task.attempts}`, 'yellow'], '  ');
  const shown = progressText(progress);
  if (shown.fraction !== undefined && width > 50) parts.push(bar(shown.fraction, 10), ' ');
  if (shown.text !== '') parts.push(shown.text);
  return parts;
}
