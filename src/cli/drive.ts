/**
 * What `run`, `resume`, `retry` and `cancel` share once a run is going: the progress
 * view, Ctrl-C (first cancels cleanly, second forces), killing task process groups on
 * exit, and the summary with the exit code.
 */
import type { RunResult } from '../engine/runner.js';
import type { RunState } from '../engine/state.js';
import { summarize } from '../engine/summary.js';
import { killAllProcessGroups } from '../executors/process-group.js';
import type { StoredEvent } from '../store/events.js';
import { EXIT } from './exit.js';
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
  onEvent: (event: StoredEvent, state: RunState) => void;
  onOutput: (task: string, stream: 'stdout' | 'stderr', chunk: string) => void;
  followAll: boolean;
}

export interface DriveResult {
  exitCode: number;
  state: RunState;
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
  const view: ProgressView =
    viewMode === 'live' ? new LiveView(out, colors) : viewMode === 'plain' ? new PlainView((t) => out.write(t), colors) : new NoView();

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write(`\nbaton: cancelling (${signal}); press Ctrl-C again to force\n`);
      controller.abort();
      return;
    }
    killAllProcessGroups('SIGKILL');
    process.stderr.write(hint.durable ? 'baton: forced stop; the run is left interrupted (resume it with `baton resume`)\n' : 'baton: forced stop\n');
    process.exit(EXIT.cancelled);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Tasks run in their own process groups, so nothing kills them with us: make sure.
  const onExit = () => killAllProcessGroups('SIGKILL');
  process.on('exit', onExit);
  let result: RunResult;
  try {
    result = await go({
      signal: controller.signal,
      onEvent: (event, state) => view.event(event, state),
      onOutput: (task, stream, chunk) => view.output(task, stream, chunk),
      followAll: flags.follow === true,
    });
  } finally {
    view.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
  const summary = summarize(result.state);
  if (flags.json) out.write(JSON.stringify(summary, null, 2) + '\n');
  else out.write('\n' + renderSummary(summary, colors, hint));
  const exitCode = summary.status === 'succeeded' ? EXIT.ok : summary.status === 'cancelled' ? EXIT.cancelled : EXIT.failed;
  return { exitCode, state: result.state };
}
