/**
 * The run feed of the memory store (store/run-feed.ts): the run store adds every event it
 * commits to one list, whose index is the position.
 */
import { numberedPosition } from '../feed-position.js';
import type { StoredEvent } from '../events.js';
import type { FeedEvent, FeedPage, FeedPosition, RunFeed } from '../run-feed.js';
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

  async end(): Promise<FeedPosition> {
    return String(this.events.length);
  }

  async after(position: FeedPosition, limit: number): Promise<FeedPage> {
    const from = numberedPosition(position, 'memory');
    const to = Math.min(this.events.length, from + Math.max(0, limit));
    const events: FeedEvent[] = [];
    for (let i = from; i < to; i++) {
      const run = this.runs[i];
      events.push({ run_id: run.id, namespace: run.namespace, workflow: run.workflow, created_at: run.created_at, event: this.events[i] });
    }
    return { events, position: String(Math.max(from, to)) };
  }
}
