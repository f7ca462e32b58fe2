/** The human views of `baton history` and `baton status`: bounded however big the run. */
import { colorStatus, compensationLine, countsLine, shortCounts } from './summary.js';
import { shellWord } from '../../expr/shell.js';
import { duration, table, truncate, type Paint } from './format.js';
import type { RunJson, StatusJson, TaskJson } from '../../runs/run-view.js';
import { localTime, relativeTime } from './time.js';
import { visible } from './visible.js';
import { waitLine } from './progress.js';
import { progressText } from './progress-bar.js';
import type { RunWait } from '../../store/events.js';
import { clockTime } from '../../engine/clock-time.js';

/** Task rows shown by `baton status` unless `--all`; finished tasks inside composites fold first. */
export const MAX_STATUS_ROWS = 50;
const STDERR_LINES = 5;

export function renderHistory(runs: readonly RunJson[], paint: Paint, now: number): string {
  const rows = [['RUN', 'WORKFLOW', 'STATUS', 'STARTED', 'DURATION', 'TASKS'].map((h) => paint.dim(h))];
  for (const run of runs) {
    rows.push([
      run.run_id,
      truncate(visible(run.workflow.name), 32),
      colorStatus(run.status, paint) + (run.queue?.position === undefined ? '' : paint.dim(` #${run.queue.position}`)),
      relativeTime(Date.parse(run.created_at), now),
      runDuration(run, now),
      shortCounts(run.counts),
    ]);
  }
  return table(rows, '') + '\n';
}

export interface StatusRenderOptions {
  /** Show every task, however many; default false (at most MAX_STATUS_ROWS). */
  all?: boolean;
  /** End with what to do next; default true (off while watching: the run is not done). */
  hints?: boolean;
}

export function renderStatus(view: StatusJson, paint: Paint, now: number, options: StatusRenderOptions = {}): string {
  const out: string[] = [];
  const version = view.workflow.version === undefined ? '' : ` ${view.workflow.version}`;
  out.push(`${paint.bold(`Run ${view.run_id}`)}  ${visible(view.workflow.name)}${visible(version)}`);
  const head: string[][] = [['status', colorStatus(view.status, paint)]];
  if (view.file !== undefined) head.push(['file', visible(view.file)]);
  if (view.owner !== undefined) head.push(['owner', `${visible(view.owner.host)} pid ${view.owner.pid}`]);
  const created = Date.parse(view.created_at);
  head.push(['started', `${localTime(created)} (${relativeTime(created, now)})`]);
  if (view.ended_at !== undefined) head.push(['ended', localTime(Date.parse(view.ended_at))]);
  head.push(['duration', runDuration(view, now)]);
  if (view.cancel_requested !== undefined) head.push(['cancel', `requested: ${visible(view.cancel_requested)}`]);
  if (view.reason !== undefined) head.push(['reason', visible(view.reason)]);
  if (view.compensation !== undefined) head.push(['undo', compensationLine(view.compensation, paint)]);
  if (view.queue !== undefined) head.push(['queue', queueLine(view)]);
  if (view.concurrency_key !== undefined) head.push(['key', visible(view.concurrency_key)]);
  if (view.idempotency_key !== undefined) head.push(['idempotency', visible(view.idempotency_key)]);
  if (view.priority !== undefined && view.priority !== 0) head.push(['priority', String(view.priority)]);
  if (view.error !== undefined) head.push(['error', `${paint.red(visible(view.error.message))} [${view.error.code}]`]);
  out.push(table(head));
  out.push('');

  const depths = depthsOf(view.tasks);
  const shown: Row[] = options.all === true ? view.tasks.map((task) => ({ task })) : fold(view.tasks, depths);
  const rows = [['TASK', 'STATUS', 'ATTEMPTS', 'DURATION', 'EXIT', 'NOTE'].map((h) => paint.dim(h))];
  for (const row of shown) {
    if ('folded' in row) {
      const text = row.overflow ? `… ${row.folded} more tasks (--all shows every one)` : `… ${row.folded} more ${row.what}`;
      rows.push([paint.dim('  '.repeat(row.depth) + text), '', '', '', '', '']);
      continue;
    }
    const task = row.task;
    rows.push([
      '  '.repeat(depths.get(task.id) ?? 0) + truncate(visible(task.id), 48),
      colorStatus(task.status, paint),
      task.attempts === 0 ? '-' : String(task.attempts),
      taskDuration(task),
      task.exit_code === undefined ? '' : String(task.exit_code),
      truncate(note(task, now), 72),
    ]);
  }
  out.push(table(rows));
  out.push(paint.dim(`  ${countsLine(view.counts)}`));
  if (view.summary !== undefined && view.summary.trim() !== '') {
    out.push('', paint.bold('Summary:'), ...visible(view.summary.trimEnd(), { lines: true }).split('\n').map((line) => `  ${line}`));
  }

  const failures = view.tasks.filter((t) => t.status === 'failed' && t.error?.stderr_tail && !isComposite(t));
  for (const task of failures.slice(0, 3)) {
    const why = task.error!.not_retried === undefined ? '' : paint.dim(`; not retried: ${visible(task.error!.not_retried)}`);
    out.push('', `${paint.red('✖')} ${visible(task.id)}: ${visible(task.error!.message, { lines: true })} [${task.error!.code}]${why}`);
    for (const line of task.error!.stderr_tail!.trimEnd().split('\n').slice(-STDERR_LINES)) out.push(paint.dim(`    │ ${truncate(visible(line), 200)}`));
  }
  const refused = new Map<string, TaskJson[]>();
  for (const task of view.tasks) if (task.circuit !== undefined) refused.set(task.circuit.name, [...(refused.get(task.circuit.name) ?? []), task]);
  for (const tasks of [...refused.values()].slice(0, 3)) out.push('', circuitNote(tasks, paint, now));
  const next = options.hints === false ? [] : nextSteps(view);
  if (next.length > 0) out.push('', ...next.map((line) => paint.dim(line)));
  return out.join('\n') + '\n';
}

/** What to do next, by status: resume, retry, look at the output, watch. */
export function nextSteps(view: StatusJson): string[] {
  const id = view.run_id;
  const failed = view.tasks.find((t) => t.status === 'failed' && !isComposite(t)) ?? view.tasks.find((t) => t.status === 'failed');
  switch (view.status) {
    case 'interrupted':
      return [...answerLines(view), `The process running it is gone: baton resume ${id}`];
    case 'queued':
      return [`It starts in its turn (baton serve, or the baton run that queued it, starts it): baton status ${id} --watch`, `Take it out of the queue: baton cancel ${id}`];
    case 'waiting':
      return (view.waits ?? []).map((wait) => `${visible(wait.task)} ${waitLine(wait, id)}`).concat(
        (view.waits ?? []).some((wait) => wait.kind === 'sleep') ? [`Nobody may be driving it: baton resume ${id} (it sleeps until the time set)`] : [],
      );
    case 'failed':
    case 'cancelled':
      return [`Run the failed and cancelled tasks again: baton retry ${id}`, `See the output: baton logs ${id}${failed ? ` ${visible(shellWord(failed.id))}` : ''}`];
    case 'running':
    case 'pending':
      return [...answerLines(view), `Watch it: baton status ${id} --watch   (output: baton logs ${id} --follow)`];
    default:
      return [];
  }
}

/** The waits of a run that is not (only) waiting that a person answers (an approval, an event, a paused task), with the command that does. */
function answerLines(view: StatusJson): string[] {
  const out: string[] = [];
  for (const task of view.tasks) {
    const why = task.waiting_for;
    if (why === undefined || (why.kind !== 'approval' && why.kind !== 'event' && why.kind !== 'pause')) continue;
    const wait: RunWait = { task: task.id, kind: why.kind, ...(why.prompt ? { prompt: why.prompt } : {}), ...(why.approvers ? { approvers: why.approvers } : {}), ...(why.event ? { event: why.event } : {}), ...(why.error ? { error: why.error } : {}) };
    if (why.timeout_at !== undefined) wait.timeout_at = Date.parse(why.timeout_at);
    out.push(`${visible(task.id)} ${waitLine(wait, view.run_id)}`);
  }
  return out;
}

/** `position 2: concurrency key deploy-prod is full (run 01K... holds it)`. */
function queueLine(view: StatusJson): string {
  const queue = view.queue!;
  const place = queue.position === undefined ? '' : `position ${queue.position}`;
  const holders = queue.behind && queue.behind.length > 0 ? ` (run ${queue.behind[0]}${queue.behind.length > 1 ? ` and ${queue.behind.length - 1} more` : ''} held it)` : '';
  const why = queue.reason === 'max_running' ? 'the most runs allowed are running (server.max_running)' : queue.reason === 'concurrency' ? `concurrency key ${visible(view.concurrency_key ?? '')} is full${holders}` : '';
  return [place, why].filter((part) => part !== '').join(': ');
}

type Row = { task: TaskJson } | { folded: number; depth: number; what: string; parent?: string; overflow?: boolean };

/**
 * Over MAX_STATUS_ROWS tasks, runs of succeeded/skipped tasks inside a composite fold into
 * one `… N more` line, so what needs attention (failed, running) stays in view; past that,
 * the rest is counted.
 */
function fold(tasks: readonly TaskJson[], depths: ReadonlyMap<string, number>): Row[] {
  if (tasks.length <= MAX_STATUS_ROWS) return tasks.map((task) => ({ task }));
  const quiet = (t: TaskJson) => t.parent !== undefined && (t.status === 'succeeded' || t.status === 'skipped');
  const out: Row[] = [];
  for (const task of tasks) {
    const last = out[out.length - 1];
    if (!quiet(task)) out.push({ task });
    else if (last !== undefined && 'folded' in last && last.parent === task.parent) last.folded++;
    else out.push({ folded: 1, depth: depths.get(task.id) ?? 0, what: 'finished', parent: task.parent });
  }
  if (out.length <= MAX_STATUS_ROWS) return out;
  const kept = out.slice(0, MAX_STATUS_ROWS - 1);
  const rest = out.slice(MAX_STATUS_ROWS - 1).reduce((n, row) => n + ('folded' in row ? row.folded : 1), 0);
  kept.push({ folded: rest, depth: 0, what: 'tasks', overflow: true });
  return kept;
}

function depthsOf(tasks: readonly TaskJson[]): Map<string, number> {
  const depths = new Map<string, number>();
  for (const task of tasks) depths.set(task.id, task.parent === undefined ? 0 : (depths.get(task.parent) ?? 0) + 1);
  return depths;
}

function note(task: TaskJson, now: number): string {
  if (task.error !== undefined) return `${visible(task.error.message.split('\n')[0])} [${task.error.code}]`;
  if (task.reason !== undefined) return visible(task.reason);
  if (task.retry_at !== undefined) return `${task.fallback_from !== undefined && task.attempts < task.fallback_from ? 'fallback' : 'retry'} ${relativeIn(Date.parse(task.retry_at), now)}`;
  if (task.fallback_from !== undefined && task.status === 'succeeded') return `by its fallback (attempt ${task.fallback_from})${task.outputs !== undefined ? `: ${outputsLine(task.outputs)}` : ''}`;
  if (task.waiting_for !== undefined) return visible(task.waiting_for.message);
  if (task.progress !== undefined && task.status === 'running') return progressText(task.progress, true);
  // Where to look next: `baton status <child>` (a failed child's id is in the error above).
  if (task.child_run !== undefined) return `child run ${task.child_run}${task.outputs !== undefined ? `: ${outputsLine(task.outputs)}` : ''}`;
  if (task.outputs !== undefined) return outputsLine(task.outputs);
  return '';
}

/** `name=value, ...` on one line; `stdout` only when it is the sole output. */
export function outputsLine(outputs: Record<string, unknown>): string {
  const entries = Object.entries(outputs).filter(([k, v]) => !(k === 'stdout' && (v === '' || Object.keys(outputs).length > 1)));
  return entries
    .map(([k, v]) => `${visible(k)}=${truncate(visible((typeof v === 'string' ? v : JSON.stringify(v)).replace(/\s*\n\s*/g, ' ⏎ ')), 40)}`)
    .join(', ');
}

function relativeIn(at: number, now: number): string {
  return at <= now ? 'now' : `in ${duration(at - now)}`;
}

function runDuration(run: RunJson, now: number): string {
  if (run.duration_ms !== undefined) return duration(run.duration_ms);
  if (run.elapsed_ms !== undefined) return `${duration(run.elapsed_ms)}…`;
  // A run recorded before baton kept active time.
  if (run.status === 'running' || run.status === 'pending') return `${duration(now - Date.parse(run.created_at))}…`;
  return '-';
}

function taskDuration(task: TaskJson): string {
  if (task.duration_ms !== undefined) return duration(task.duration_ms);
  if (task.elapsed_ms !== undefined) return `${duration(task.elapsed_ms)}…`;
  return '-';
}

function isComposite(task: TaskJson): boolean {
  return task.type === 'parallel' || task.type === 'loop' || task.type === 'conditional';
}

/** `⚡ charge (and 2 more): circuit payments-api is open since 12:00:01 (3 failures in 1m); next probe at 12:00:31`: a circuit that refused a task, as it is now. */
function circuitNote(tasks: readonly TaskJson[], paint: Paint, now: number): string {
  const c = tasks[0].circuit!;
  const more = tasks.length > 1 ? ` (and ${tasks.length - 1} more)` : '';
  const head = `${paint.yellow('⚡')} ${visible(tasks[0].id)}${more}: circuit ${visible(c.name)}`;
  if (c.state === 'closed') return `${head} is ${paint.green('closed')} now${c.failures > 0 ? ` (${c.failures} failure${c.failures === 1 ? '' : 's'} in its window)` : ''}`;
  const since = c.opened_at === undefined ? '' : ` since ${clockTime(Date.parse(c.opened_at))}`;
  const why = c.opened_after !== undefined && c.limits !== undefined ? ` (${c.opened_after} failures in ${duration(c.limits.window_ms)})` : c.opened_at !== undefined ? ' (a probe failed)' : '';
  if (c.state === 'half_open') return `${head} is ${paint.yellow('half-open')}${since}${why}: a probe attempt is out; baton circuits`;
  const probe = c.next_probe_at === undefined ? '' : Date.parse(c.next_probe_at) <= now ? '; a probe may go now' : `; next probe at ${clockTime(Date.parse(c.next_probe_at))}`;
  return `${head} is ${paint.red('open')}${since}${why}${probe}; baton circuits`;
}
