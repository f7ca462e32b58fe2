/**
 * `history`, `status` and `logs` with --server: the same views, read from the server's API
 * instead of a store (the server makes them with the same code: runs/views.ts,
 * runs/log-pages.ts), printed as locally.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatonError } from '../../observability/errors.js';
import type { RunJson, StatusJson } from '../../runs/run-view.js';
import { didYouMean } from '../../spec/suggest.js';
import type { DisplayStatus } from '../../store/ownership.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { stopQuietlyOnClosedStdout, writeOrWait } from '../pipe.js';
import { paint, useColor } from '../render/format.js';
import { renderHistory } from '../render/status.js';
import { parseSince } from '../render/time.js';
import { visible } from '../render/visible.js';
import { runView, withServer, type Remote } from './connect.js';

/** The API's largest page of runs. */
const RUNS_PAGE = 1000;
/** A page of log text. */
const LOG_PAGE_BYTES = 256 * 1024;
/** What `--tail` reads of the log's end at most. */
const TAIL_BYTES = 1024 * 1024;
/** How often `logs --follow` looks for new output. */
const FOLLOW_MS = 250;

interface HistoryFlags {
  workflow?: string;
  status?: DisplayStatus;
  since?: string;
  trigger?: string;
  limit?: string;
  json?: boolean;
}

/** Runs newest first, page after page; `--since` ends the reading at the first older run. */
export async function remoteHistory(remote: Remote, flags: HistoryFlags): Promise<number> {
  const now = Date.now();
  const limit = parsePositiveInt(flags.limit, '--limit') ?? 20;
  const since = flags.since === undefined ? undefined : parseSince(flags.since, now);
  const runs: RunJson[] = [];
  let cursor: string | undefined;
  reading: while (runs.length < limit) {
    const page = await remote.server.get<{ runs: RunJson[]; next_cursor?: string }>('/api/runs', {
      workflow: flags.workflow,
      status: flags.status,
      trigger: flags.trigger,
      limit: Math.min(RUNS_PAGE, limit - runs.length),
      cursor,
    });
    for (const run of page.runs) {
      if (since !== undefined && Date.parse(run.created_at) < since) break reading;
      runs.push(run);
    }
    if (page.next_cursor === undefined) break;
    cursor = page.next_cursor;
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
    return EXIT.ok;
  }
  const colors = paint(useColor(process.stdout));
  if (runs.length === 0) {
    const filtered = flags.workflow !== undefined || flags.status !== undefined || since !== undefined;
    process.stdout.write(filtered ? 'No runs match.\n' : `No runs yet on the server at ${remote.server.url}.\n`);
    return EXIT.ok;
  }
  process.stdout.write(renderHistory(runs, colors, now));
  if (runs.length === limit) process.stdout.write(colors.dim(`The ${limit} most recent; --limit N shows more.\n`));
  return EXIT.ok;
}

/** `baton status` reads the run with this, each look (commands/status.ts). */
export async function remoteLook(remote: Remote, runArg: string): Promise<() => Promise<StatusJson>> {
  const first = await runView(remote, runArg);
  let given: StatusJson | undefined = first;
  return async () => {
    const view = given ?? (await runView(remote, first.run_id));
    given = undefined;
    return view;
  };
}

interface LogsFlags {
  tail?: string;
  follow?: boolean;
}

interface LogPage {
  text: string;
  truncated: boolean;
  next: string;
}

/** The run's output as the server's log pages have it (lines as `baton logs` prints them). */
export async function remoteLogs(remote: Remote, runArg: string, task: string | undefined, flags: LogsFlags): Promise<number> {
  const tail = parsePositiveInt(flags.tail, '--tail');
  stopQuietlyOnClosedStdout();
  const view = await runView(remote, runArg);
  const runId = view.run_id;
  if (task !== undefined) checkTask(view, task, remote);
  const page = (query: Record<string, string | number | undefined>) =>
    remote.server.get<LogPage>(`/api/runs/${runId}/logs`, { ...(task === undefined ? {} : { task }), ...query });
  let printed = 0;
  const print = (text: string) => {
    if (text === '') return undefined;
    printed++;
    return writeOrWait(visible(text, { lines: true, colors: true }));
  };
  let offset: string;
  if (tail !== undefined) {
    const end = await page({ limit_bytes: TAIL_BYTES });
    const lines = end.text.split('\n').slice(0, -1);
    await print(lines.slice(-tail).map((line) => `${line}\n`).join(''));
    offset = end.next;
  } else {
    offset = await readForward(page, '0', print);
  }
  if (flags.follow) return follow(remote, runId, offset, page, print);
  if (printed === 0) process.stderr.write(`baton: ${nothingPrinted(view, task)}\n`);
  return EXIT.ok;
}

/** Pages from `offset` until the output written so far is read; where the next one starts. */
async function readForward(page: (query: Record<string, string | number>) => Promise<LogPage>, offset: string, print: (text: string) => Promise<void> | undefined): Promise<string> {
  for (;;) {
    const next = await page({ offset, limit_bytes: LOG_PAGE_BYTES });
    await print(next.text);
    offset = next.next;
    if (!next.truncated) return offset;
  }
}

/** As `baton logs --follow` locally: the run's status read before its output, until it is over and nothing is left. */
async function follow(
  remote: Remote,
  runId: string,
  from: string,
  page: (query: Record<string, string | number>) => Promise<LogPage>,
  print: (text: string) => Promise<void> | undefined,
): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let offset = from;
  try {
    for (;;) {
      const { status } = await runView(remote, runId);
      let got = false;
      offset = await readForward(page, offset, (text) => {
        got ||= text !== '';
        return print(text);
      });
      if (!got && status !== 'running' && status !== 'pending') {
        if (status === 'interrupted') process.stderr.write(withServer(`baton: run ${runId} is interrupted (the process running it is gone); go on with: baton resume ${runId}\n`, remote));
        return EXIT.ok;
      }
      if (got) continue;
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

/** A task the run does not have (and, while it goes, may not get): an error with a did-you-mean, as locally. */
function checkTask(view: StatusJson, task: string, remote: Remote): void {
  const keys = view.tasks.map((t) => t.id);
  if (keys.includes(task) || view.status === 'running' || view.status === 'pending') return;
  throw new BatonError('CLI_TASK_NOT_FOUND', withServer(`run ${view.run_id} has no task '${task}'${didYouMean(task, keys)}: see its tasks with \`baton status ${view.run_id}\``, remote), {
    details: { run: view.run_id, task },
  });
}

/** Why nothing was printed: no output at all, or the task did not run. */
function nothingPrinted(view: StatusJson, task: string | undefined): string {
  if (task === undefined) return `run ${view.run_id} produced no output`;
  const row = view.tasks.find((t) => t.id === task);
  if (row === undefined || row.attempts === 0) {
    const status = row?.status ?? 'pending';
    return `task ${task} did not run (${status}${row?.reason !== undefined ? `: ${row.reason}` : ''}), so it has no output`;
  }
  return `task ${task} produced no output`;
}
