/** `baton workers`: the live workers of the store, and the queue's depth. */
import { openCliStore, type StoreFlags } from '../store.js';
import { renderTable } from '../render/table.js';
import { EXIT } from '../exit.js';

interface WorkersFlags extends StoreFlags {
  json?: boolean;
}

/** What a worker runs, in a cell: the first attempt (run id cut to 10 characters) and how many more. */
function running(tasks: ReadonlyArray<{ run_id: string; task: string; attempt: number }>): string {
  if (tasks.length === 0) return '-';
  const [first] = tasks;
  const more = tasks.length > 1 ? ` (+${tasks.length - 1})` : '';
  return `${first.run_id.slice(0, 10)} ${first.task}#${first.attempt}${more}`;
}

/** A worker silent this long is not listed: it reports every 2 s. */
const LIVE_MS = 10_000;

export default async function workers(flags: WorkersFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const [live, queues, claimed] = await Promise.all([store.work.workers(LIVE_MS), store.work.depth(), store.work.claimed()]);
    const runs = new Map<string, Array<{ run_id: string; task: string; attempt: number }>>();
    for (const item of claimed) {
      if (item.worker === undefined) continue;
      runs.set(item.worker, [...(runs.get(item.worker) ?? []), { run_id: item.run_id, task: item.task, attempt: item.attempt }]);
    }
    if (flags.json) {
      const workers = live.map((w) => ({ ...w, tasks: runs.get(w.name) ?? [] }));
      process.stdout.write(`${JSON.stringify({ workers, queues }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (live.length === 0) process.stdout.write(`No live workers on ${store.location}: start one with \`baton worker --store ${store.location}\`.\n`);
    else {
      const now = Date.now();
      process.stdout.write(
        renderTable(
          ['WORKER', 'HOST', 'PID', 'QUEUES', 'TASKS', 'RUNS', 'SEEN', 'RUNNING'],
          live.map((w) => [w.name, w.host, String(w.pid), w.queues.join(','), `${w.running}/${w.concurrency}`, String(w.driving), `${Math.max(0, Math.round((now - w.seen_at) / 1000))}s ago`, running(runs.get(w.name) ?? [])]),
        ),
      );
    }
    if (queues.length > 0) {
      process.stdout.write('\n' + renderTable(['QUEUE', 'WAITING', 'RUNNING'], queues.map((q) => [q.queue, String(q.ready), String(q.claimed)])));
    }
    return EXIT.ok;
  } finally {
    await store.close();
  }
}
