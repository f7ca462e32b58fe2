/**
 * `baton metrics [--workflow w] [--since 7d] [--json]`: runs, success rate, failures,
 * retries, durations and queue waits per workflow and per task, the slowest tasks and the
 * critical path of the slowest run (runs/metrics.ts), from the local store or, with
 * --server, from `baton serve` (GET /api/metrics, the same document).
 */
import type { MetricsJson } from '../../observability/metrics/types.js';
import { DEFAULT_SINCE, windowStart } from '../../runs/metrics-window.js';
import { EXIT } from '../exit.js';
import { paint, useColor } from '../render/format.js';
import { renderMetrics } from '../render/metrics.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface MetricsFlags extends StoreFlags, ServerFlags {
  workflow?: string;
  since?: string;
  json?: boolean;
}

export default async function metrics(flags: MetricsFlags): Promise<number> {
  const sinceText = flags.since ?? DEFAULT_SINCE;
  const now = Date.now();
  // Checked here, so a bad --since is said the same way with or without --server.
  const since = windowStart(sinceText, now);
  const remote = await remoteFor(flags);
  let doc: MetricsJson;
  if (remote) {
    doc = await remote.server.get<MetricsJson>('/api/metrics', { workflow: flags.workflow, since: sinceText });
  } else {
    const store = await openCliStore(flags);
    try {
      const { readMetrics } = await import('../../runs/metrics.js');
      doc = await readMetrics(store, { since, now, ...(flags.workflow === undefined ? {} : { workflow: flags.workflow }) });
    } finally {
      await store.close();
    }
  }
  process.stdout.write(flags.json ? `${JSON.stringify(doc, null, 2)}\n` : renderMetrics(doc, paint(useColor(process.stdout))));
  return EXIT.ok;
}
