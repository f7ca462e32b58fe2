/**
 * What `run`, `resume`, `retry` and `cancel` share once a run is going: the progress
 * view, signals, killing task process groups on exit, and the summary with the exit code.
 *
 * Signals: SIGINT (Ctrl-C) cancels the run cleanly (exit 130). SIGTERM and SIGHUP (a
 * closed terminal or SSH session) stop the tasks' process groups and leave the run
 * interrupted, to go on with `baton resume` (exit 128 + the signal: 143, 129). A second
 * signal of any kind forces: every process group is SIGKILLed and baton exits at once.
 */
import { constants } from 'node:os';
import type { RunResult } from '../engine/runner.js';
import type { RunState } from '../engine/state.js';
import { summarize } from '../engine/summary.js';
import { killAllProcessGroups } from '../executors/process-group.js';
import type { StoredEvent } from '../store/events.js';
import { categoryOf } from '../observability/error-categories.js';
import { BatonError } from '../observability/errors.js';
import { EXIT } from './exit.js';
import { LiveOutput } from './pipe.js';
import { paint, useColor } from './render/format.js';
import { LiveView, NoView, PlainView, type ProgressView } from './render/progress.js';
import { renderSummary } from './render/summary.js';

export interface ViewFlags {
  json?: boolean;
  follow?: boolean;
  view: 'auto' | 'live' | 'plain' | 'none';
}

/** What the engine needs from the terminal while a run goes. */
export interface Hooks {
  signal: AbortSignal;
  /** SIGTERM/SIGHUP: stop driving the run and leave it interrupted (DriveOptions.interrupt). */
  interrupt: AbortSignal;
  onEvent: (event: StoredEvent, state: RunState) => void;
  onOutput: (task: string, stream: 'stdout' | 'stderr', chunk: string) => void;
  followAll: boolean;
}

export interface DriveResult {
  exitCode: number;
  /** The run's state at its end; none when a signal left it interrupted. */
  state?: RunState;
}

/**
 * Runs `go` with a view and signal handling, then prints the summary. `hint` tells the
 * summary what to suggest after a failure (the file to run again; whether runs are kept).
 */
export async function driveRun(
  flags: ViewFlags,
  hint: { file?: string; durable: boolean },
  go: (hooks: Hooks) => Promise<RunResult>,
): Promise<DriveResult> {
  const out = process.stdout;
  const colors = paint(useColor(out) && !flags.json);
  const viewMode = flags.json ? 'none' : flags.view === 'auto' ? (out.isTTY ? 'live' : 'plain') : flags.view;
  let runId: string | undefined;
  // A slow reader of a pipe gets fewer lines, never a slower run (see LiveOutput).
  const live = new LiveOutput(out, () => (runId === undefined ? '`baton logs`' : `\`baton logs ${runId}\``));
  const view: ProgressView =
    viewMode === 'live' ? new LiveView(out, colors) : viewMode === 'plain' ? new PlainView((t) => live.write(t), colors) : new NoView();

  const controller = new AbortController();
  const interrupter = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // After SIGHUP the terminal is gone: writing to it may fail, which must not crash baton.
    if (signal === 'SIGHUP') ignoreWriteErrors();
    if (stoppedBy === undefined) {
      stoppedBy = signal;
      if (signal === 'SIGINT') {
        say(`\nbaton: cancelling (${signal}); press Ctrl-C again to force\n`);
        controller.abort();
      } else {
        say(`\nbaton: ${signal}: stopping the tasks; the run is left interrupted${hint.durable ? ' (go on with `baton resume`)' : ''}\n`);
        interrupter.abort();
      }
      return;
    }
    killAllProcessGroups('SIGKILL');
    say(hint.durable ? 'baton: forced stop; the run is left interrupted (resume it with `baton resume`)\n' : 'baton: forced stop\n');
    process.exit(stoppedBy === 'SIGINT' ? EXIT.cancelled : signalExitCode(stoppedBy));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // `baton run ... | head` closes the pipe early: the reader has seen enough; the run goes on.
  const onStdoutError = (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  };
  out.on('error', onStdoutError);
  // Tasks run in their own process groups, so nothing kills them with us: make sure.
  const onExit = () => killAllProcessGroups('SIGKILL');
  process.on('exit', onExit);
  let result: RunResult;
  try {
    result = await go({
      signal: controller.signal,
      interrupt: interrupter.signal,
      onEvent: (event, state) => {
        runId = state.runId;
        view.event(event, state);
      },
      onOutput: (task, stream, chunk) => view.output(task, stream, chunk),
      followAll: flags.follow === true,
    });
  } catch (err) {
    if (err instanceof BatonError && err.code === 'RUN_INTERRUPTED' && stoppedBy !== undefined) {
      view.close();
      live.close();
      say(`baton: stopped by ${stoppedBy}: ${err.message}\n`);
      return { exitCode: signalExitCode(stoppedBy) };
    }
    throw hint.durable && runId !== undefined ? withResumeHint(err, runId) : err;
  } finally {
    view.close();
    live.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('exit', onExit);
    // Left on: the summary below may still meet the closed pipe.
  }
  const summary = summarize(result.state);
  // A run an earlier start with the same idempotency key made: said in the document too.
  if (flags.json) out.write(JSON.stringify(result.existing ? { ...summary, existing: true } : summary, null, 2) + '\n');
  else out.write('\n' + renderSummary(summary, colors, hint));
  const exitCode =
    summary.status === 'succeeded' ? EXIT.ok : summary.status === 'cancelled' ? EXIT.cancelled : summary.status === 'waiting' ? EXIT.waiting : EXIT.failed;
  return { exitCode, state: result.state };
}

/** 128 + the signal's number, as shells report a command a signal stopped (SIGTERM 143, SIGHUP 129). */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

function say(text: string): void {
  try {
    process.stderr.write(text);
  } catch {
    // stderr is gone (a closed terminal): nobody is there to read it.
  }
}

function ignoreWriteErrors(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

/**
 * A store or environment that failed in the middle of a run (STORE_BUSY, STORE_DISK_FULL)
 * left the run recorded up to its last event: say which run, and how to go on. Not for a
 * corrupt store, where going on is not the next step (its message says what is).
 */
function withResumeHint(err: unknown, runId: string): unknown {
  if (!(err instanceof BatonError) || categoryOf(err) !== 'unavailable' || err.code === 'STORE_CORRUPT') return err;
  if (err.message.includes(`baton resume ${runId}`)) return err;
  return new BatonError(err.code, `run ${runId} stopped: ${err.message}; go on with \`baton resume ${runId}\` once that is fixed`, {
    cause: err,
    details: { ...err.details, run: runId },
  });
}
