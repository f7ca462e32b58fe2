/** The run queue (store/queue.ts) as the memory store sees it: read from its run records. */
import { copyRecord } from '../records.js';
import { HOLDING_STATUSES, QUEUE_SCAN, RUNNING_STATUSES, queueOrder, type QueueSnapshot } from '../queue.js';
import type { RunRecord } from '../store.js';

export function memoryQueue(records: readonly RunRecord[]): QueueSnapshot {
  const queued = records.filter((r) => r.status === 'queued').sort(queueOrder).slice(0, QUEUE_SCAN).map(copyRecord);
  return {
    queued,
    holding: (key) =>
      records
        .filter((r) => r.concurrency_key === key && HOLDING_STATUSES.includes(r.status))
        .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))
        .map(copyRecord),
    running: records.filter((r) => r.priority !== undefined && RUNNING_STATUSES.includes(r.status)).length,
  };
}
