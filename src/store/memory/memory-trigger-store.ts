import { DEFAULT_NAMESPACE } from '../events.js';
import type { EmittedEvent, EndCursor, EndedRun, Firing, FiringFilter, NewFiring, ScheduleRow, TriggerStore } from '../triggers.js';
import type { RunStore } from '../store.js';

/** The trigger store in memory (store/triggers.ts); run ends come from the memory run store. */
export class MemoryTriggerStore implements TriggerStore {
  private readonly firings: Firing[] = [];
  private readonly emitted: EmittedEvent[] = [];
  private readonly cursors = new Map<string, string>();
  /** By namespace and id. */
  private readonly schedules = new Map<string, ScheduleRow>();
  private added = 0;

  constructor(private readonly runs: RunStore) {}

  async recordFiring(firing: NewFiring): Promise<{ firing: Firing } | { duplicate: Firing }> {
    if (firing.delivery !== undefined) {
      const earlier = this.firings.find((f) => f.namespace === (firing.namespace ?? DEFAULT_NAMESPACE) && f.workflow === firing.workflow && f.delivery === firing.delivery);
      if (earlier) return { duplicate: { ...earlier } };
    }
    const stored: Firing = { ...firing, namespace: firing.namespace ?? DEFAULT_NAMESPACE, id: this.firings.length + 1 };
    this.firings.push(stored);
    return { firing: { ...stored } };
  }

  async updateFiring(id: number, change: Pick<Firing, 'outcome'> & Partial<Pick<Firing, 'run_id' | 'reason' | 'code'>>): Promise<void> {
    const firing = this.firings[id - 1];
    if (firing) Object.assign(firing, change);
  }

  async listFirings(filter: FiringFilter = {}): Promise<Firing[]> {
    const out: Firing[] = [];
    for (let i = this.firings.length - 1; i >= 0 && out.length < (filter.limit ?? 50); i--) {
      const f = this.firings[i];
      if (filter.before !== undefined && f.id >= filter.before) continue;
      if (filter.namespace !== undefined && f.namespace !== filter.namespace) continue;
      if (filter.workflow !== undefined && f.workflow !== filter.workflow) continue;
      if (filter.outcome !== undefined && f.outcome !== filter.outcome) continue;
      out.push({ ...f });
    }
    return out;
  }

  async recordEmitted(event: Omit<EmittedEvent, 'seq'>): Promise<number> {
    const seq = this.emitted.length + 1;
    this.emitted.push({ ...event, namespace: event.namespace ?? DEFAULT_NAMESPACE, seq });
    return seq;
  }

  async emittedAfter(seq: number, limit: number): Promise<EmittedEvent[]> {
    return this.emitted.slice(Math.max(0, seq), Math.max(0, seq) + limit);
  }

  async lastEmitted(): Promise<number> {
    return this.emitted.length;
  }

  async runsEndedAfter(cursor: EndCursor, limit: number): Promise<EndedRun[]> {
    // Few runs live in memory: every one is looked at.
    const ended: EndedRun[] = [];
    for (const run of await this.runs.listRuns({ limit: Number.MAX_SAFE_INTEGER })) {
      if (run.ended_at === undefined) continue;
      if (run.ended_at < cursor.ended_at || (run.ended_at === cursor.ended_at && run.id <= cursor.id)) continue;
      ended.push({ id: run.id, namespace: run.namespace ?? DEFAULT_NAMESPACE, workflow: run.workflow, status: run.status, ended_at: run.ended_at });
    }
    ended.sort((a, b) => a.ended_at - b.ended_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return ended.slice(0, limit);
  }

  async getCursor(name: string): Promise<string | undefined> {
    return this.cursors.get(name);
  }

  async setCursor(name: string, value: string): Promise<void> {
    this.cursors.set(name, value);
  }

  async putSchedule(row: Omit<ScheduleRow, 'id'> & { id?: string }): Promise<ScheduleRow> {
    const stored: ScheduleRow = { ...row, namespace: row.namespace ?? DEFAULT_NAMESPACE, id: row.id ?? `added:${++this.added}` };
    this.schedules.set(`${stored.namespace}\0${stored.id}`, stored);
    return { ...stored };
  }

  async removeSchedule(id: string, namespace = DEFAULT_NAMESPACE): Promise<boolean> {
    return this.schedules.delete(`${namespace}\0${id}`);
  }

  async listSchedules(namespace?: string): Promise<ScheduleRow[]> {
    return [...this.schedules.values()].filter((r) => namespace === undefined || r.namespace === namespace).sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1)).map((r) => ({ ...r }));
  }
}
