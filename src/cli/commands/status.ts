import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT } from '../exit.js';
import { clock, duration, paint, useColor, type Paint } from '../render/format.js';
import type { StatusJson } from '../../runs/run-view.js';
import { snapshotter } from '../../runs/views.js';
import { nextSteps, renderStatus } from '../render/status.js';
import { colorStatus } from '../render/summary.js';
import { visible } from '../render/visible.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { remoteFor, withServer, type ServerFlags } from '../remote/connect.js';

interface StatusFlags extends StoreFlags, ServerFlags {
  json?: boolean;
  watch?: boolean;
  all?: boolean;
}

/** How often `--watch` looks again. */
const WATCH_MS = 500;

export default async function status(runArg: string, flags: StatusFlags): Promise<number> {
  const remote = await remoteFor(flags);
  if (remote) return show(await (await import('../remote/read.js')).remoteLook(remote, runArg), flags, (text) => withServer(text, remote));
  const store = await openCliStore(flags);
  try {
    const runId = await store.runs.resolveRunId(runArg);
    return await show(snapshotter(store, runId), flags);
  } finally {
    await store.close();
  }
}

/** The run once, or `--watch`ed. `hints`: the commands suggested, made to work as printed (`--server`). */
async function show(look: () => Promise<StatusJson>, flags: StatusFlags, hints: Hints = (text) => text): Promise<number> {
  const out = process.stdout;
  const colors = paint(useColor(out) && !flags.json);
  if (!flags.watch) {
    const view = await look();
    out.write(flags.json ? JSON.stringify(view, null, 2) + '\n' : hints(renderStatus(view, colors, Date.now(), { all: flags.all })));
    return EXIT.ok;
  }
  return await watch(look, flags, colors, hints);
}

type Hints = (text: string) => string;

/** Finished, or nobody is driving it any more. */
function isOver(view: StatusJson): boolean {
  return view.status !== 'running' && view.status !== 'pending';
}

/**
 * Until the run ends: on a terminal the status redrawn in place, otherwise the initial
 * status then one line per change. Exits like the run: 0 succeeded, 1 failed or
 * interrupted, 130 cancelled (or when watching is stopped with Ctrl-C).
 */
async function watch(look: () => Promise<StatusJson>, flags: StatusFlags, colors: Paint, hints: Hints): Promise<number> {
  const out = process.stdout;
  const live = out.isTTY === true && !flags.json;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let drawn = 0;
  let previous: StatusJson | undefined;
  try {
    for (;;) {
      const view = await look();
      const now = Date.now();
      if (flags.json) {
        // One document, when the run is over.
      } else if (live) {
        const rows = Math.max(5, (out.rows || 24) - 1);
        let lines = renderStatus(view, colors, now, { all: flags.all, hints: false }).trimEnd().split('\n');
        if (lines.length > rows) lines = [...lines.slice(0, rows - 1), colors.dim(`… (${lines.length - rows + 1} more lines)`)];
        out.write((drawn > 0 ? `\x1b[${drawn}A\x1b[0J` : '') + lines.join('\n') + '\n');
        drawn = lines.length;
      } else if (previous === undefined) {
        out.write(renderStatus(view, colors, now, { all: flags.all, hints: false }));
      } else {
        for (const line of changes(previous, view, colors, now)) out.write(line + '\n');
      }
      previous = view;
      if (isOver(view)) return finish(view, flags, colors, live, hints);
      try {
        await sleep(WATCH_MS, undefined, { signal: stop.signal });
      } catch {
        process.stderr.write(`\nbaton: stopped watching; run ${view.run_id} goes on (${view.status})\n`);
        return EXIT.cancelled;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function finish(view: StatusJson, flags: StatusFlags, colors: Paint, live: boolean, hints: Hints): number {
  if (flags.json) process.stdout.write(JSON.stringify(view, null, 2) + '\n');
  else {
    const took = view.duration_ms === undefined ? '' : ` in ${duration(view.duration_ms)}`;
    // On a terminal the last drawing already says how it ended.
    if (!live) process.stdout.write(`Run ${view.run_id} ${visible(view.workflow.name)}: ${colorStatus(view.status, colors)}${took}\n`);
    for (const line of nextSteps(view)) process.stdout.write(colors.dim(hints(line)) + '\n');
  }
  switch (view.status) {
    case 'succeeded':
      return EXIT.ok;
    case 'cancelled':
      return EXIT.cancelled;
    default:
      return EXIT.failed;
  }
}

/** `12:00:01.250 deploy running (attempt 2)`: what changed between two looks. */
function changes(before: StatusJson, after: StatusJson, colors: Paint, now: number): string[] {
  const lines: string[] = [];
  const stamp = colors.dim(clock(now));
  const old = new Map(before.tasks.map((t) => [t.id, t]));
  for (const task of after.tasks) {
    const was = old.get(task.id);
    if (was !== undefined && was.status === task.status && was.attempts === task.attempts) continue;
    if (was === undefined && task.status === 'pending') continue;
    const attempt = task.attempts > 1 ? ` (attempt ${task.attempts})` : '';
    const why = task.error ? `: ${visible(task.error.message.split('\n')[0])} [${task.error.code}]` : task.reason ? `: ${visible(task.reason)}` : '';
    lines.push(`${stamp} ${visible(task.id)} ${colorStatus(task.status, colors)}${attempt}${why}`);
  }
  if (before.status !== after.status) lines.push(`${stamp} run ${colorStatus(after.status, colors)}`);
  return lines;
}
