import { StoreError, runNotFound } from '../errors.js';
import type { StoredEvent, TimedEvent } from '../events.js';
import { FINISHED_RUN_STATUSES, statusAfter } from '../projection.js';
import type { LogLine, LogStore, LogStream, RunFilter, RunRecord, RunStore, Store } from '../store.js';

/**
 * The in-memory store: everything lives in this process and is gone when it exits.
 * Used by tests, benchmarks and `baton run --store memory`.
 */
export class MemoryRunStore implements RunStore {
  private readonly runs = new Map<string, { record: RunRecord; events: StoredEvent[] }>();

  async createRun(run: { id: string; workflow: string; created_at: number }, events: TimedEvent[]): Promise<StoredEvent[]> {
    if (this.runs.has(run.id)) {
      throw new StoreError('STORE_RUN_EXISTS', `run ${run.id} already exists`, { details: { run: run.id } });
    }
    const record: RunRecord = {
      id: run.id,
      workflow: run.workflow,
      status: 'pending',
      created_at: run.created_at,
      updated_at: run.created_at,
    };
    this.runs.set(run.id, { record, events: [] });
    return this.append(run.id, events);
  }

  async append(runId: string, events: TimedEvent[]): Promise<StoredEvent[]> {
    const entry = this.runs.get(runId);
    if (!entry) throw runNotFound(runId);
    const stored: StoredEvent[] = new Array(events.length);
    let seq = entry.events.length;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as StoredEvent;
      event.seq = ++seq;
      stored[i] = event;
      entry.events.push(event);
      const status = statusAfter(event);
      if (status) {
        entry.record.status = status;
        if (FINISHED_RUN_STATUSES.has(status)) entry.record.ended_at = event.at;
      }
    }
    if (events.length > 0) entry.record.updated_at = events[events.length - 1].at;
    return stored;
  }

  async readEvents(runId: string, afterSeq = 0): Promise<StoredEvent[]> {
    const entry = this.runs.get(runId);
    if (!entry) throw runNotFound(runId);
    return entry.events.slice(afterSeq);
  }

  async getRun(runId: string): Promise<RunRecord | undefined> {
    const entry = this.runs.get(runId);
    return entry ? { ...entry.record } : undefined;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const limit = filter.limit ?? 20;
    return [...this.runs.values()]
      .map((entry) => entry.record)
      .filter(
        (run) =>
          (filter.workflow === undefined || run.workflow === filter.workflow) &&
          (filter.status === undefined || run.status === filter.status) &&
          (filter.since === undefined || run.created_at >= filter.since),
      )
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(0, limit)
      .map((run) => ({ ...run }));
  }

  async close(): Promise<void> {}
}

/** Keeps at most `maxBytesPerTask` of each task's output (the newest), since nothing here is on disk. */
export class MemoryLogStore implements LogStore {
  private readonly lines = new Map<string, LogLine[]>();
  private readonly bytes = new Map<string, number>();

  constructor(private readonly maxBytesPerTask = 1 << 20) {}

  write(runId: string, task: string, attempt: number, stream: LogStream, chunk: string): void {
    const id = `${runId}\u0000${task}`;
    let list = this.lines.get(id);
    if (!list) this.lines.set(id, (list = []));
    list.push({ task, attempt, stream, at: Date.now(), text: chunk });
    let size = (this.bytes.get(id) ?? 0) + chunk.length;
    while (size > this.maxBytesPerTask && list.length > 1) size -= list.shift()!.text.length;
    this.bytes.set(id, size);
  }

  async read(runId: string, task?: string): Promise<LogLine[]> {
    const prefix = `${runId}\u0000`;
    const out: LogLine[] = [];
    for (const [id, list] of this.lines) {
      if (id.startsWith(prefix) && (task === undefined || id === prefix + task)) out.push(...list);
    }
    return out.sort((a, b) => a.at - b.at);
  }
}

export function createMemoryStore(): Store {
  return { runs: new MemoryRunStore(), logs: new MemoryLogStore() };
}
