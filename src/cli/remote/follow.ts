/**
 * Following a run that a server drives, for `run`, `resume`, `retry`, `approve`, `emit` and
 * `cancel` with --server. The run's events come over the server's event stream and are
 * folded into its state by the engine's own fold (replayRun, RunState.apply), so the
 * progress view, the summary, `--json` and the exit code are those of a local run.
 *
 * When to stop, as a local run would: the run ended (the server closes a finished run's
 * stream after its last event), or it waits for approvals or events only (a local process
 * lets go of it then, exit 4); a sleep is the server's to wait out. A wait seen in the
 * middle of the run's past is checked against the run as the server has it now, so an old
 * wait, answered since, is not taken for the end.
 *
 * Events (and output) from before this command acted (a resume, an answer) are folded
 * without being shown, up to where the run stood then, as a local resume shows only what
 * it does. Output comes in the same stream, in time order with the events.
 *
 * Signals: Ctrl-C asks the server to cancel a run this command took on (a second one stops
 * following); SIGTERM and SIGHUP stop following. The run goes on in the server either way.
 */
import { constants } from 'node:os';
import { replayRun } from '../../engine/resume.js';
import type { RunState } from '../../engine/state.js';
import { summarize } from '../../engine/summary.js';
import { BatonError } from '../../observability/errors.js';
import type { StatusJson } from '../../runs/run-view.js';
import type { StoredEvent } from '../../store/events.js';
import { FINISHED_RUN_STATUSES } from '../../store/projection.js';
import type { ViewFlags } from '../drive.js';
import { EXIT } from '../exit.js';
import { LiveOutput } from '../pipe.js';
import { paint, useColor } from '../render/format.js';
import { LiveView, NoView, PlainView, type ProgressView } from '../render/progress.js';
import { renderSummary } from '../render/summary.js';
import { visible } from '../render/visible.js';
import { withServer, type Remote } from './connect.js';

export interface FollowOptions {
  remote: Remote;
  runId: string;
  flags: ViewFlags;
  /** The run before this command acted on it; none (and no `answered`): every event is new (a run just started). */
  before?: StatusJson;
  /** Or: the waits this command answered; what follows their answers is new. */
  answered?: string[];
  /** Ctrl-C asks the server to cancel the run (this command started or took it on), or only stops following. */
  ctrlC: 'cancel' | 'stop';
  /** Give up waiting after this long (ms); default never. */
  timeoutMs?: number;
  /** No progress view, whatever the flags say (`cancel` waiting for the run's driver). */
  quiet?: boolean;
}

export type Followed = { ended: true; state: RunState } | { ended: false; why: 'signal' | 'timeout'; exitCode: number };

export async function followRun(options: FollowOptions): Promise<Followed> {
  const { remote, runId, flags } = options;
  const out = process.stdout;
  const colors = paint(useColor(out) && !flags.json);
  const mode = options.quiet || flags.json ? 'none' : flags.view === 'auto' ? (out.isTTY ? 'live' : 'plain') : flags.view;
  const live = new LiveOutput(out, () => withServer(`\`baton logs ${runId}\``, remote));
  const view: ProgressView = mode === 'live' ? new LiveView(out, colors) : mode === 'plain' ? new PlainView((t) => live.write(t), colors) : new NoView();
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | 'timeout' | undefined;
  let cancelAsked = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signal === 'SIGHUP') for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
    if (signal === 'SIGINT' && options.ctrlC === 'cancel' && !cancelAsked) {
      cancelAsked = true;
      say(`\nbaton: cancelling run ${runId} (SIGINT): asked the server at ${remote.server.url}; press Ctrl-C again to stop following\n`);
      remote.server.post(`/api/runs/${runId}/cancel`, { reason: 'cancelled with Ctrl-C' }).catch((err: unknown) => say(`baton: the server did not take the cancel: ${visible(String((err as Error).message ?? err))}\n`));
      return;
    }
    stoppedBy ??= signal;
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  guardPipe(out);
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => ((stoppedBy ??= 'timeout'), stop.abort()), options.timeoutMs);
  const anchor = options.answered !== undefined ? new Anchor({ answered: options.answered }) : options.before !== undefined ? new Anchor({ before: options.before }) : undefined;
  // Output is shown for --follow, else for tasks with live_output: the stream carries it
  // then, asked for again with it once the run's tasks are known.
  const showOutput = options.quiet !== true && flags.json !== true;
  let logs = showOutput && flags.follow === true;
  let after: string | undefined;
  let state: RunState | undefined;
  try {
    streams: for (;;) {
      for await (const item of remote.server.runEvents(runId, stop.signal, { logs, ...(after === undefined ? {} : { after }) })) {
        if (item.kind === 'event') {
          if (state !== undefined && item.event.seq <= state.lastSeq) continue;
          state = fold(state, runId, item.event);
          const shown = anchor?.passed(state, item.event) !== false;
          if (shown) view.event(item.event, state);
          if (!logs && showOutput && hasLiveOutput(state)) {
            logs = true;
            after = String(state.lastSeq);
            continue streams;
          }
          if (shown && waitsForAnswers(state) && (await stillWaiting(remote, runId, state))) return { ended: true, state };
        } else if (item.kind === 'line') {
          const task = item.line.task;
          if (state === undefined || anchor?.reached === false) continue;
          if (flags.follow || state.nodes.get(task)?.spec.live_output) view.output(task, item.line.stream, `${item.line.text}\n`);
        } else if (item.kind === 'idle') {
          // Nothing new for a while: the server has sent all there is.
          if (state === undefined) continue;
          if (anchor) anchor.reached = true;
          if (FINISHED_RUN_STATUSES.has(state.status) || waitsForAnswers(state)) return { ended: true, state };
          await checkDriven(remote, runId);
        } else if (state !== undefined && FINISHED_RUN_STATUSES.has(state.status)) {
          return { ended: true, state };
        }
      }
      break;
    }
    const exitCode = stoppedBy === undefined || stoppedBy === 'timeout' ? EXIT.failed : stoppedBy === 'SIGINT' ? EXIT.cancelled : 128 + (constants.signals[stoppedBy] ?? 0);
    if (stoppedBy !== 'timeout') say(withServer(`\nbaton: stopped following run ${runId}${stoppedBy ? ` (${stoppedBy})` : ''}; it goes on in the server: baton status ${runId}\n`, remote));
    return { ended: false, why: stoppedBy === 'timeout' ? 'timeout' : 'signal', exitCode };
  } finally {
    clearTimeout(timer);
    stop.abort();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    view.close();
    live.close();
  }
}

/**
 * The summary of a run followed to its end (or its wait), as `baton run` prints it, and
 * its exit code: 0 succeeded, 1 failed, 4 waiting, 130 cancelled.
 */
export function printSummary(state: RunState, flags: ViewFlags, remote: Remote): number {
  const out = process.stdout;
  const summary = summarize(state);
  if (flags.json) out.write(JSON.stringify(summary, null, 2) + '\n');
  else out.write('\n' + withServer(renderSummary(summary, paint(useColor(out)), { durable: true }), remote));
  return summary.status === 'succeeded' ? EXIT.ok : summary.status === 'cancelled' ? EXIT.cancelled : summary.status === 'waiting' ? EXIT.waiting : EXIT.failed;
}

/** `followRun` then `printSummary`: what `run`, `resume`, `retry`, `approve` and `emit` end with. */
export async function followToSummary(options: FollowOptions): Promise<number> {
  const followed = await followRun(options);
  return followed.ended ? printSummary(followed.state, options.flags, options.remote) : followed.exitCode;
}

function fold(state: RunState | undefined, runId: string, event: StoredEvent): RunState {
  if (state === undefined) return replayRun(runId, [event]);
  state.apply(event);
  return state;
}

function hasLiveOutput(state: RunState): boolean {
  for (const node of state.nodes.values()) if (node.spec.live_output) return true;
  return false;
}

/** A local run would let go of it here: it waits, for approvals and events only, none of them answered yet. */
function waitsForAnswers(state: RunState): boolean {
  if (state.status !== 'waiting' || state.waits.length === 0) return false;
  return state.waits.every((wait) => wait.kind !== 'sleep' && state.tasks.get(wait.task)?.status === 'waiting');
}

/** The server has it waiting for the same things still (not a wait of the run's past, answered since). */
async function stillWaiting(remote: Remote, runId: string, state: RunState): Promise<boolean> {
  const now = await remote.server.get<StatusJson>(`/api/runs/${runId}`);
  const waiting = new Set(now.tasks.filter((task) => task.status === 'waiting').map((task) => task.id));
  return now.status === 'waiting' && state.waits.every((wait) => waiting.has(wait.task));
}

/** A run nobody drives any more (its driver died) would be followed forever: say so instead. */
async function checkDriven(remote: Remote, runId: string): Promise<void> {
  const now = await remote.server.get<StatusJson>(`/api/runs/${runId}`);
  if (now.status !== 'interrupted') return;
  throw new BatonError('RUN_INTERRUPTED', withServer(`run ${runId} is interrupted: the process driving it is gone; go on with \`baton resume ${runId}\``, remote), { details: { run: runId } });
}

/**
 * Where the run stood when this command acted: once the answers it gave are in (each
 * wait's WaitAnswered), or else at the first point of its events at which the run and
 * every task are as `before` shows them (status and attempts). Tasks are compared as their
 * events come, the whole run again after a run-wide event, so finding it costs no more
 * than the fold.
 */
class Anchor {
  reached = false;
  private readonly differ = new Set<string>();
  private readonly want = new Map<string, { status: string; attempts: number }>();
  private readonly before?: StatusJson;
  private readonly answered?: Set<string>;

  constructor(at: { before: StatusJson } | { answered: string[] }) {
    if ('answered' in at) this.answered = new Set(at.answered);
    else {
      this.before = at.before;
      for (const task of at.before.tasks) this.want.set(task.id, { status: task.status, attempts: task.attempts });
    }
  }

  /** False while the event is from before the action (not to be shown). */
  passed(state: RunState, event: StoredEvent): boolean {
    if (this.reached) return true;
    if (this.answered) {
      if (event.type === 'WaitAnswered') this.answered.delete(event.task);
      this.reached = this.answered.size === 0;
      return false;
    }
    if ('task' in event && event.type !== 'TaskExpanded') this.check(state, event.task);
    else for (const key of this.want.keys()) this.check(state, key);
    const status = this.before!.status === 'interrupted' ? state.status === 'running' || state.status === 'pending' : state.status === this.before!.status;
    if (status && this.differ.size === 0) this.reached = true;
    return false;
  }

  private check(state: RunState, key: string): void {
    const want = this.want.get(key);
    if (want === undefined) return;
    const task = state.tasks.get(key);
    const same = task === undefined ? want.status === 'pending' : task.status === want.status && task.attempt === want.attempts;
    if (same) this.differ.delete(key);
    else this.differ.add(key);
  }
}

let pipeGuarded = false;

/** `baton run --server ... | head` closes the pipe early: the reader has seen enough; the run goes on. */
function guardPipe(out: NodeJS.WriteStream): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}

function say(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // stderr is gone (a closed terminal): nobody is there to read it.
  }
}
