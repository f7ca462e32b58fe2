import type { RunStatus } from '../../store/events.js';
import { displayStatus, type DisplayStatus } from '../../store/ownership.js';
import type { RunRecord, Store } from '../../store/store.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { paint, useColor } from '../render/format.js';
import { countTasks, runJson, type RunJson } from '../render/run-view.js';
import { renderHistory } from '../render/status.js';
import { parseSince } from '../render/time.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface HistoryFlags extends StoreFlags {
  workflow?: string;
  status?: DisplayStatus;
  since?: string;
  limit?: string;
  json?: boolean;
}

/** Unfinished runs are few, so telling live ones from interrupted ones after the query is cheap. */
const UNFINISHED_SCAN = 1000;

export default async function history(flags: HistoryFlags): Promise<number> {
  const now = Date.now();
  const limit = parsePositiveInt(flags.limit, '--limit') ?? 20;
  const since = flags.since === undefined ? undefined : parseSince(flags.since, now);
  const store = await openCliStore(flags);
  try {
    const records = await findRuns(store, { workflow: flags.workflow, status: flags.status, since, limit }, now);
    const runs: RunJson[] = [];
    for (const record of records) runs.push(runJson(record, countTasks(await store.runs.listTasks(record.id)), now));
    if (flags.json) {
      process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
      return EXIT.ok;
    }
    const colors = paint(useColor(process.stdout));
    if (runs.length === 0) {
      const filtered = flags.workflow !== undefined || flags.status !== undefined || since !== undefined;
      process.stdout.write(filtered ? 'No runs match.\n' : `No runs yet in ${store.location}.\n`);
      return EXIT.ok;
    }
    process.stdout.write(renderHistory(runs, colors, now));
    if (runs.length === limit) process.stdout.write(colors.dim(`The ${limit} most recent; --limit N shows more.\n`));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

async function findRuns(
  store: Store,
  filter: { workflow?: string; status?: DisplayStatus; since?: number; limit: number },
  now: number,
): Promise<RunRecord[]> {
  const { status, ...rest } = filter;
  if (status === undefined || status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'waiting') {
    return store.runs.listRuns({ ...rest, status });
  }
  // running, pending and interrupted are display statuses: a stored running or pending run is
  // interrupted when its owner is gone, so ask for both stored statuses and sort them out here.
  const stored: RunStatus[] = ['running', 'pending'];
  const found: RunRecord[] = [];
  for (const s of stored) found.push(...(await store.runs.listRuns({ ...rest, status: s, limit: Math.max(UNFINISHED_SCAN, filter.limit) })));
  return found
    .filter((run) => displayStatus(run, now) === status)
    .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, filter.limit);
}
