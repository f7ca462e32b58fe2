/**
 * The run queue on SQLite (store/queue.ts): a consistent view of it for a decision, read
 * inside the write transaction that records the decision (statements in queue.sql).
 */
import type { RunAdmissionAsk } from '../events.js';
import { QUEUE_SCAN, type QueueSnapshot } from '../queue.js';
import type { Database } from './driver.js';
import { toRecord, type RunRow } from '../rows.js';
import { parseNamedQueries } from '../named-queries.js';
import { preparedOnUse, type Statement } from './statements.js';
import queries from './queue.sql';

const sql = parseNamedQueries(queries);

export class SqliteQueue {
  /** Prepared at first use: a store opened by a command that queues nothing never needs them. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(db: Database) {
    this.prepared = preparedOnUse(db, sql);
  }

  private get q(): Record<string, Statement> {
    return this.prepared();
  }

  /** The queue now; call inside a transaction (the holders of a key are read when asked). */
  snapshot(): QueueSnapshot {
    const q = this.q;
    return {
      queued: (q.queued.all(QUEUE_SCAN) as RunRow[]).map(toRecord),
      holding: (key) => (q.holding.all(key) as RunRow[]).map(toRecord),
      running: (q.running.get() as { n: number }).n,
    };
  }

  /** Records what a new run asked of the queue on its row. */
  setFields(runId: string, ask: RunAdmissionAsk): void {
    this.q.setQueueFields.run(ask.priority, ask.concurrency?.key ?? null, ask.concurrency?.limit ?? null, runId);
  }
}
