import type { RunState } from '../../engine/state.js';
import { plannedTasks, taskDurationMs } from '../../engine/summary.js';
import { clockTime } from '../../engine/clock-time.js';
import { activeMs } from '../../store/active-time.js';
import { iterationCount } from '../../store/expansion.js';
import { TERMINAL_TASK_STATUSES, type RunWait, type StoredEvent } from '../../store/events.js';
import { LineJoiner } from '../../store/logs/line-joiner.js';
import { clock, duration, truncate, type Paint } from './format.js';
import { colorStatus } from './summary.js';
import { visible } from './visible.js';
import { PlainProgress, progressText } from './progress-bar.js';
import { stateProgress } from '../../engine/progress-view.js';

/** The plain view shows a loop's progress once it has this many iterations (fewer: each one's line says enough). */
const PLAIN_LOOP_MIN = 20;

/** Shows a run while it goes. Both views are bounded: one line per task change at most. */
export interface ProgressView {
  event(event: StoredEvent, state: RunState): void;
  /** A task's output, shown when it asked for live_output or the user for --follow. */
  output(task: string, stream: 'stdout' | 'stderr', chunk: string): void;
  close(): void;
}

/** One line per event, for logs and pipes (not a terminal). */
export class PlainView implements ProgressView {
  private readonly lines = new LiveLines();
  private readonly progress = new PlainProgress();

  constructor(
    private readonly write: (text: string) => void,
    private readonly paint: Paint,
  ) {}

  event(event: StoredEvent, state: RunState): void {
    // A task's last unterminated line goes out before the line saying how it ended.
    if ('task' in event && event.type !== 'TaskStarted' && event.type !== 'TaskProgress') this.write(this.lines.end(event.task));
    const line = describe(event, state, this.paint);
    if (line) this.write(`${this.paint.dim(clock(event.at))} ${line}\n`);
    const progress = this.progressLine(event, state);
    if (progress) this.write(`${this.paint.dim(clock(event.at))} ${progress}\n`);
  }

  /**
   * A task's progress (its report, or a big loop's iterations as one ends), when it crossed a
   * tenth or changed after a quiet while (PlainProgress): a log gets a few lines per task.
   */
  private progressLine(event: StoredEvent, state: RunState): string | undefined {
    if (!('task' in event)) return undefined;
    if (event.type === 'TaskStarted') this.progress.forget(event.task);
    let key = event.task;
    if (event.type !== 'TaskProgress') {
      if (!TERMINAL_TASK_STATUSES.has(state.tasks.get(key)?.status ?? 'pending')) return undefined;
      // An iteration ended: its loop's progress, when each iteration's own line no longer tells how far it is.
      const parent = state.nodes.get(key)?.parent;
      if (parent === undefined || (state.loopChildren.get(parent)?.length ?? 0) < PLAIN_LOOP_MIN) return undefined;
      key = parent;
    }
    const shown = stateProgress(state, key, event.at);
    if (shown === undefined) return undefined;
    const text = progressText(shown, false);
    return this.progress.take(key, shown.percent, text, event.at) ? `${visible(key)} ${text}` : undefined;
  }

  output(task: string, stream: 'stdout' | 'stderr', chunk: string): void {
    this.write(this.lines.push(task, stream, chunk));
  }

  close(): void {
    this.write(this.lines.endAll());
  }
}

/** A compact table redrawn in place on a terminal: running tasks first, then the latest ends. */
export class LiveView implements ProgressView {
  private drawn = 0;
  private readonly lines = new LiveLines();
  private timer?: NodeJS.Timeout;
  private state?: RunState;
  private readonly recent: string[] = [];

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly paint: Paint,
  ) {
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  event(event: StoredEvent, state: RunState): void {
    this.state = state;
    if ('task' in event && event.type !== 'TaskStarted' && event.type !== 'TaskProgress') {
      const rest = this.lines.end(event.task);
      if (rest !== '') {
        this.clear();
        this.stream.write(rest);
      }
    }
    if ('task' in event && (event.type === 'TaskSucceeded' || event.type === 'TaskFailed' || event.type === 'TaskSkipped' || event.type === 'TaskCancelled')) {
      this.recent.push(event.task);
      if (this.recent.length > 200) this.recent.splice(0, 100);
    }
  }

  output(task: string, stream: 'stdout' | 'stderr', chunk: string): void {
    const text = this.lines.push(task, stream, chunk);
    if (text === '') return;
    this.clear();
    this.stream.write(text);
    this.draw();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
    this.stream.write(this.lines.endAll());
  }

  private clear(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  /** One task line, cut to the terminal's width before colouring so escapes are never cut. */
  private row(status: string, key: string, detail: string, width: number): string {
    const room = Math.max(10, width - status.length - 3);
    const name = truncate(visible(key), room);
    const rest = truncate(visible(detail), Math.max(0, room - name.length - 1));
    return `  ${colorStatus(status, this.paint)} ${name} ${this.paint.dim(rest)}`;
  }

  private draw(): void {
    const state = this.state;
    if (!state) return;
    const rows = Math.max(5, (this.stream.rows || 24) - 6);
    const width = Math.max(40, (this.stream.columns || 80) - 2);
    const now = Date.now();
    const lines: string[] = [];
    let done = 0;
    const running: string[] = [];
    for (const [key, task] of state.tasks) {
      if (TERMINAL_TASK_STATUSES.has(task.status)) done++;
      else if (task.status === 'running' || task.status === 'retrying') running.push(key);
    }
    // The run's active time: after `baton retry`, the time since its first start is not.
    const elapsed = state.startedAt ? duration(activeMs(state.activity, now)) : '';
    const planned = plannedTasks(state);
    const of = `${planned.count}${planned.openLoops > 0 ? '+' : ''}`;
    lines.push(this.paint.bold(`${visible(state.plan.workflow.name)}  ${done}/${of} done  ${elapsed}`));
    for (const key of running.slice(0, rows)) {
      const task = state.task(key);
      const shown = task.status === 'running' ? stateProgress(state, key, now) : undefined;
      const detail =
        task.status === 'retrying'
          ? `attempt ${task.attempt} failed, next in ${duration(Math.max(0, (task.retryAt ?? now) - now))}`
          : `${task.startedAt ? duration(now - task.startedAt) : ''}${task.attempt > 1 ? ` attempt ${task.attempt}` : ''}${shown ? `  ${progressText(shown, true)}` : ''}`;
      lines.push(this.row(task.status, key, detail, width));
    }
    if (running.length > rows) lines.push(this.paint.dim(`  ... ${running.length - rows} more running`));
    const room = Math.max(0, rows - running.length);
    const ended = [...new Set(this.recent)].filter((key) => TERMINAL_TASK_STATUSES.has(state.task(key).status));
    for (const key of ended.slice(-Math.min(room, 8))) {
      const task = state.task(key);
      const ms = taskDurationMs(task);
      const took = ms !== undefined ? duration(ms) : task.reason ?? '';
      lines.push(this.row(task.status, key, took, width));
    }
    this.clear();
    this.stream.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }
}

export class NoView implements ProgressView {
  event(): void {}
  output(): void {}
  close(): void {}
}

function describe(event: StoredEvent, state: RunState, paint: Paint): string | undefined {
  const task = 'task' in event ? visible(event.task) : '';
  switch (event.type) {
    case 'RunStarted':
      if (state.code) return `run ${state.runId} started: ${visible(state.plan.workflow.name)} (${state.code.language === 'script' ? 'a script' : 'code'}: ${visible(state.code.file)})`;
      return `run ${state.runId} started: ${visible(state.plan.workflow.name)} (${plannedLine(state)})`;
    case 'TaskStarted':
      if (event.step && event.step.kind !== 'step' && event.step.kind !== 'map' && event.step.kind !== 'run') return `${task} ${waitLine({ task: event.task, ...event.step } as RunWait, state.runId)}`;
      return `${task} started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`;
    case 'RunCompensating':
      return paint.yellow(`compensating: undoing ${event.tasks.map((key) => visible(key)).join(', ')}, the last to succeed first`);
    case 'RunWaiting':
      return paint.yellow(`waiting: ${event.waits.map((wait) => `${visible(wait.task)} (${wait.kind})`).join(', ')}`);
    case 'RunWoke':
      return 'running again';
    case 'TaskSucceeded': {
      const record = state.task(event.task);
      return `${task} ${paint.green('succeeded')} ${paint.dim(duration(record.endedAt! - (record.startedAt ?? record.endedAt!)))}`;
    }
    case 'TaskFailed':
      return `${task} ${paint.red('failed')}: ${visible(event.error.message.split('\n')[0])} [${event.error.code}]`;
    case 'TaskPaused':
      return `${task} ${waitLine({ task: event.task, kind: 'pause', error: event.error }, state.runId)}`;
    case 'TaskRetryScheduled':
      if (event.fallback) return `${task} ${paint.yellow('falls back')}: its fallback runs (attempt ${event.attempt})`;
      return `${task} ${paint.yellow('retrying')} in ${duration(event.at_due - event.at)} (attempt ${event.attempt})`;
    case 'TaskAwaitingResources':
      return `${task} ${paint.yellow('waits')} for ${event.pools.map((p) => `pool ${visible(p.pool)} (${p.in_use}/${p.capacity}${p.held_by.length > 0 ? `: ${p.held_by.map((h) => `${h.run === state.runId ? '' : `run ${h.run} `}task ${visible(h.task)}`).join(', ')}` : ''})`).join(', ')}`;
    case 'CircuitChanged':
      return `${task} ${circuitLine(event, paint)}`;
    case 'TaskSkipped':
      return `${task} ${paint.dim('skipped')}: ${visible(event.reason)}`;
    case 'TaskCancelled':
      return `${task} ${paint.yellow('cancelled')}: ${visible(event.reason)}`;
    case 'TaskExpanded':
      return `${task} expanded into ${iterationCount(event)} iterations`;
    case 'RunCancelRequested':
      return paint.yellow(`cancelling: ${visible(event.reason)}`);
    case 'RunResumed':
      return `run ${state.runId} resumed by pid ${event.owner.pid} on ${visible(event.owner.host)}`;
    case 'RunReopened':
      return `run ${state.runId} reopened: ${event.tasks.length} task${event.tasks.length === 1 ? '' : 's'} to run again${event.from ? ` from ${visible(event.from)}` : ''}`;
    case 'TaskInterrupted':
      return `${task} ${paint.yellow('interrupted')} (attempt ${event.attempt} was running when the previous process stopped): it runs again`;
    default:
      return undefined;
  }
}

/** What a wait waits for, and how to end it: `sleeps until 15:40:00`, `waits for approval: ... (baton approve <run>)`. */
export function waitLine(wait: RunWait, runId: string): string {
  const timeout = wait.timeout_at === undefined ? '' : `, times out at ${clock(wait.timeout_at)}`;
  switch (wait.kind) {
    case 'sleep':
      return `sleeps until ${clock(wait.until ?? 0)}`;
    case 'approval': {
      const who = wait.approvers === undefined ? '' : `; approvers: ${wait.approvers.map((a) => visible(a)).join(', ')}`;
      return `waits for approval${wait.prompt ? `: ${visible(wait.prompt)}` : ''} (\`baton approve ${runId} ${visible(wait.task)}\`, or --reject${who}${timeout})`;
    }
    case 'event': {
      const only = wait.filter === undefined ? '' : ` for which ${visible(wait.filter)}`;
      return `waits for event ${visible(wait.event ?? '')}${only} (\`baton emit ${visible(wait.event ?? '')}\`${timeout})`;
    }
    case 'pause': {
      const why = wait.error === undefined ? '' : `: ${visible(wait.error.message)} [${wait.error.code}]`;
      return `paused after failing${why} (\`baton resolve ${runId} ${visible(wait.task)} --retry\`, --skip or --abort)`;
    }
  }
}

/**
 * Task output shown live, one prefixed line per line the task wrote. Output arrives in
 * chunks that split lines anywhere, so each task's unterminated tail waits for the rest of
 * its line (or for the attempt to end) instead of showing as two lines. Colours are kept,
 * as `baton logs` keeps them; other control sequences are made visible.
 */
class LiveLines {
  private readonly joiners = new Map<string, LineJoiner>();

  /** The complete lines in `chunk` and what was held before it, prefixed; '' if none. */
  push(task: string, stream: 'stdout' | 'stderr', chunk: string): string {
    let joiner = this.joiners.get(task);
    if (!joiner) this.joiners.set(task, (joiner = new LineJoiner()));
    const block = joiner.push(stream, chunk);
    return block === undefined ? '' : prefixLines(block, task, stream);
  }

  /** What a task left unterminated, once its attempt has ended. */
  end(task: string): string {
    const joiner = this.joiners.get(task);
    if (!joiner) return '';
    this.joiners.delete(task);
    return (['stdout', 'stderr'] as const).map((stream) => {
      const tail = joiner.flush(stream);
      return tail === undefined ? '' : prefixLines(tail, task, stream);
    }).join('');
  }

  endAll(): string {
    return [...this.joiners.keys()].map((task) => this.end(task)).join('');
  }
}

/** `block`: lines joined by '\n', with no final line break. */
function prefixLines(block: string, task: string, stream: 'stdout' | 'stderr'): string {
  const prefix = `${visible(task)} ${stream === 'stderr' ? '!' : '|'} `;
  return visible(block, { lines: true, colors: true }).split('\n').map((line) => prefix + line + '\n').join('');
}

/** `18 tasks`, or `5 tasks + the iterations of 1 loop` when a loop's items are known only once it starts. */
function plannedLine(state: RunState): string {
  const { count, openLoops } = plannedTasks(state);
  const tasks = `${count} task${count === 1 ? '' : 's'}`;
  return openLoops === 0 ? tasks : `${tasks} + the iterations of ${openLoops} loop${openLoops === 1 ? '' : 's'}`;
}

/** `opened circuit payments-api (3 failures in 1m; next probe at 12:00:31)`: what an attempt did to its circuit. */
function circuitLine(event: Extract<StoredEvent, { type: 'CircuitChanged' }>, paint: Paint): string {
  const name = visible(event.circuit);
  if (event.state === 'half_open') return `goes through circuit ${name} as a probe`;
  if (event.state === 'closed') return `${paint.green('closed')} circuit ${name}: its probe succeeded`;
  const why = event.failures !== undefined && event.window !== undefined ? `${event.failures} failure${event.failures === 1 ? '' : 's'} in ${duration(event.window)}` : 'its probe failed';
  return `${paint.red('opened')} circuit ${name} (${why}${event.probe_at === undefined ? '' : `; next probe at ${clockTime(event.probe_at)}`})`;
}
