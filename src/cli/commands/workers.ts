/** `baton workers`: the live workers of the store, and the queue's depth. */
import { openCliStore, type StoreFlags } from '../store.js';
import { renderTable } from '../render/table.js';
import { EXIT } from '../exit.js';

interface WorkersFlags extends StoreFlags {
  json?: boolean;
}

/** A worker silent this long is not listed: it reports every 2 s. */
const LIVE_MS = 10_000;

export default async function workers(flags: WorkersFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const [live, queues] = await Promise.all([store.work.workers(LIVE_MS), store.work.depth()]);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ workers: live, queues }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (live.length === 0) process.stdout.write(`No live workers on ${store.location}: start one with \`baton worker --store ${store.location}\`.\n`);
    else {
      const now = Date.now();
      process.stdout.write(
        renderTable(
          ['WORKER', 'HOST', 'PID', 'QUEUES', 'TASKS', 'RUNS', 'SEEN'],
          live.map((w) => [w.name, w.host, String(w.pid), w.queues.join(','), `${w.running}/${w.concurrency}`, String(w.driving), `${Math.max(0, Math.round((now - w.seen_at) / 1000))}s ago`]),
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
