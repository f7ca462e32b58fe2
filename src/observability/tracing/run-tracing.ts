/**
 * Tracing as a drive of a run sees it (DriveOptions.tracing): the `traceparent` each attempt
 * is handed, and, once the run ended, its spans sent from its log. The engine never loads
 * OpenTelemetry: the exporter is read on the first export (exporter.ts).
 */
import type { Store } from '../../store/store.js';
import { errorCode } from '../errors.js';
import type { TraceTarget } from './config.js';
import { traceparentOf } from './ids.js';
import { runSpans } from './spans.js';

export interface RunTracing {
  /** The W3C traceparent of an attempt: TRACEPARENT in its processes' environment, `traceparent` on its http request. */
  traceparent(runId: string, task: string, attempt: number): string;
  /**
   * The run ended here: its spans (of the stretch that just ended) are read from its log and
   * sent. Never throws: a failure is said through `warn`, and the run is not the worse for it.
   */
  ended(store: Store, runId: string): Promise<void>;
}

export function runTracing(target: TraceTarget, warn: (line: string) => void): RunTracing {
  return {
    traceparent: traceparentOf,
    async ended(store, runId) {
      try {
        const spans = runSpans(runId, await store.runs.readEvents(runId));
        const { exportSpans } = await import('./exporter.js');
        await exportSpans(target, spans);
      } catch (err) {
        warn(`tracing: run ${runId}: ${err instanceof Error ? err.message : String(err)} [${errorCode(err)}]`);
      }
    },
  };
}
