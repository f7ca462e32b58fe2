/**
 * The run feed of the memory store (store/run-feed.ts): the run store adds every event it
 * commits to one list; a reader keeps its index in it.
 */
import type { StoredEvent } from '../events.js';
import type { FeedEvent, FeedReader, RunFeed } from '../run-feed.js';
import type { RunRecord } from '../store.js';

export class MemoryRunFeed implements RunFeed {
  /** Two lists, not one of pairs: two references per event rather than an object (100k-task runs live here). */
  private readonly events: StoredEvent[] = [];
  private readonly runs: RunRecord[] = [];

  /** Called by the run store as it commits events of `run`. */
  added(run: RunRecord, events: readonly StoredEvent[]): void {
    for (const event of events) {
      this.events.push(event);
      this.runs.push(run);
    }
  }

  async follow(): Promise<FeedReader> {
    let next = this.events.length;
    return {
      read: async (limit, types) => {
        const out: FeedEvent[] = [];
        for (; next < this.events.length && out.length < limit; next++) {
          const event = this.events[next];
          if (types !== undefined && !types.has(event.type)) continue;
          const run = this.runs[next];
          out.push({ run_id: run.id, namespace: run.namespace, workflow: run.workflow, created_at: run.created_at, event });
        }
        return out;
      },
    };
  }
}
