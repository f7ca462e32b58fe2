import { setTimeout as sleep } from 'node:timers/promises';
import { BatonError } from '../../observability/errors.js';
import { didYouMean } from '../../spec/suggest.js';
import { displayStatus } from '../../store/ownership.js';
import type { LogCursor, LogLine, Store, TaskRecord } from '../../store/store.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { paint, useColor } from '../render/format.js';
import { LogFormatter } from '../render/logs.js';
import { MAIN_KEY } from '../../engine/steps/program.js';
import { RunDigest } from '../../runs/run-view.js';
import { parseSince } from '../render/time.js';
import { stopQuietlyOnClosedStdout, writeOrWait } from '../pipe.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';

interface LogsFlags extends StoreFlags, ServerFlags {
  tail?: string;
  since?: string;
  follow?: boolean;
  json?: boolean;
}

/** How often `--follow` looks for new lines. */
const FOLLOW_MS = 250;

export default async function logs(runArg: string, task: string | undefined, flags: LogsFlags): Promise<number> {
  const remote = await remoteFor(flags, {
    unsupported: [
      ['--since', flags.since !== undefined, "the server's log pages have no times: use --tail"],
      ['--json', flags.json === true, "the server's log pages are text, as `baton logs` prints it"],
    ],
  });
  if (remote) return (await import('../remote/read.js')).remoteLogs(remote, runArg, task, flags);
  const tail = parsePositiveInt(flags.tail, '--tail');
  const since = flags.since === undefined ? undefined : parseSince(flags.since, Date.now());
  stopQuietlyOnClosedStdout();
  const store = await openCliStore(flags);
  try {
    const runId = await store.runs.resolveRunId(runArg);
    const rows = await store.runs.listTasks(runId);
    // The workflow's tasks not reached yet are read from the events only when they matter:
    // a task name to check, or columns to line up for lines still to come. A finished run
    // of 100k tasks is otherwise read twice over for nothing.
    const keys = new Set(rows.map((t) => t.key));
    let planned: Promise<Set<string>> | undefined;
    const complete = () => (planned ??= addPlannedKeys(store, runId, keys));
    if (task !== undefined && !keys.has(task)) await checkTask(store, runId, task, await complete());
    if (flags.follow) await complete();
    const formatter = new LogFormatter(paint(useColor(process.stdout) && !flags.json), task === undefined, labels(rows, keys));
    let printed = 0;
    // A reader slower than the store (a pipe) is waited for: baton never holds more than a
    // pipe's worth of lines, however big the log.
    const print = (line: LogLine) => {
      printed++;
      return writeOrWait((flags.json ? JSON.stringify(line) : formatter.format(line)) + '\n');
    };
    let cursor: LogCursor;
    if (tail !== undefined) {
      const page = await store.logs.read(runId, { task, since, tail });
      for (const line of page.lines) await print(line);
      cursor = page.cursor;
    } else {
      cursor = await store.logs.forEach(runId, print, { task, since });
    }
    if (flags.follow) return await follow(store, runId, task, cursor, print);
    // Empty output would look like a wrong id or a broken store: say what is going on.
    if (printed === 0) process.stderr.write(`baton: ${nothingPrinted(rows, runId, task, flags.since)}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/**
 * Prints new lines as they come until the run is over and nothing more is left to read.
 * The run's status is read before its logs, so lines written before it ended are never
 * missed. Ctrl-C stops following (exit 130); the run itself goes on.
 */
async function follow(
  store: Store,
  runId: string,
  task: string | undefined,
  from: LogCursor,
  print: (line: LogLine) => Promise<void> | undefined,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let cursor = from;
  try {
    for (;;) {
      const record = await store.runs.getRun(runId);
      const status = record === undefined ? 'failed' : displayStatus(record);
      // Streamed, not read as one page: a fast run and a slow reader must not pile lines up here.
      let printed = 0;
      cursor = await store.logs.forEach(
        runId,
        (line) => {
          printed++;
          return print(line);
        },
        { task, cursor },
      );
      if (printed === 0 && status !== 'running' && status !== 'pending') {
        if (status === 'interrupted') {
          process.stderr.write(`baton: run ${runId} is interrupted (the process running it is gone); go on with: baton resume ${runId}\n`);
        }
        return EXIT.ok;
      }
      if (printed > 0) continue;
      try {
        await sleep(FOLLOW_MS, undefined, { signal: stop.signal });
      } catch {
        return EXIT.cancelled;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Why `baton logs` printed nothing: no output at all, none since, or the task did not run. */
function nothingPrinted(rows: readonly TaskRecord[], runId: string, task: string | undefined, since: string | undefined): string {
  const when = since === undefined ? '' : ` since ${since}`;
  if (task === undefined) return `run ${runId} produced no output${when}`;
  const row = rows.find((t) => t.key === task);
  if (row === undefined || row.attempt === 0) {
    const status = row?.status ?? 'pending';
    return `task ${task} did not run (${status}${row?.reason !== undefined ? `: ${row.reason}` : ''}), so it has no output`;
  }
  return `task ${task} produced no output${when}`;
}

/** What prefixes lines: task keys, and `key#N` for tasks with later attempts, so columns line up from the start. */
function labels(rows: readonly TaskRecord[], keys: Iterable<string>): string[] {
  const out = [...keys];
  for (const task of rows) if (task.attempt > 1) out.push(`${task.key}#${task.attempt}`);
  return out;
}

/** Adds the workflow's tasks (reached or not) to the projection's `keys`; returns them. */
async function addPlannedKeys(store: Store, runId: string, keys: Set<string>): Promise<Set<string>> {
  const digest = new RunDigest();
  digest.apply(await store.runs.readEvents(runId));
  for (const key of digest.nodes.keys()) keys.add(key);
  // A code run's own output, outside its steps.
  if (digest.code) keys.add(MAIN_KEY);
  return keys;
}

/**
 * A task name that is not in the run gets a clear error (with a did-you-mean), not empty
 * output. While the run goes on, a loop iteration may not exist yet: that is allowed.
 */
async function checkTask(store: Store, runId: string, task: string, keys: ReadonlySet<string>): Promise<void> {
  if (keys.has(task)) return;
  const record = await store.runs.getRun(runId);
  if (record !== undefined && (record.status === 'running' || record.status === 'pending') && displayStatus(record) !== 'interrupted') return;
  throw new BatonError('CLI_TASK_NOT_FOUND', `run ${runId} has no task '${task}'${didYouMean(task, keys)}: see its tasks with \`baton status ${runId}\``, {
    details: { run: runId, task },
  });
}
