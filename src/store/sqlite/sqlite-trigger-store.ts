/**
 * The trigger store on SQLite (store/triggers.ts), on the connection of the run store.
 * Recording a delivery twice is refused by a unique index, so two servers sharing the
 * file cannot both fire it.
 */
import { DEFAULT_NAMESPACE } from '../events.js';
import type { Database } from './driver.js';
import { sqliteError } from './sqlite-errors.js';
import { parseNamedQueries } from '../named-queries.js';
import { preparedOnUse, type Statement } from './statements.js';
import queries from './triggers.sql';
import { toEmitted, toFiring, toSchedule, type EmittedRow, type FiringRow, type ScheduleDbRow } from '../rows/triggers.js';
import type { EmittedEvent, EndCursor, EndedRun, Firing, FiringFilter, NewFiring, ScheduleRow, TriggerStore } from '../triggers.js';

const sql = parseNamedQueries(queries);

export class SqliteTriggerStore implements TriggerStore {

  /** Prepared at first use: most commands that open a store never fire a trigger. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  private get q(): Record<string, Statement> {
    return this.prepared();
  }

  async recordFiring(firing: NewFiring): Promise<{ firing: Firing } | { duplicate: Firing }> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const info = this.q.insertFiring.run({ reason: null, code: null, run_id: null, delivery: null, ...firing, namespace: firing.namespace ?? DEFAULT_NAMESPACE });
          if (info.changes === 0) return { duplicate: toFiring(this.q.firingByDelivery.get(firing.namespace ?? DEFAULT_NAMESPACE, firing.workflow, firing.delivery) as FiringRow) };
          return { firing: toFiring(this.q.firingById.get(info.lastInsertRowid) as FiringRow) };
        })
        .immediate(),
    );
  }

  async updateFiring(id: number, change: Pick<Firing, 'outcome'> & Partial<Pick<Firing, 'run_id' | 'reason' | 'code'>>): Promise<void> {
    this.guard(() => this.q.updateFiring.run({ id, run_id: null, reason: null, code: null, ...change }));
  }

  async listFirings(filter: FiringFilter = {}): Promise<Firing[]> {
    const rows = this.guard(() => this.q.listFirings.all({ namespace: filter.namespace ?? null, workflow: filter.workflow ?? null, outcome: filter.outcome ?? null, before: filter.before ?? null, limit: filter.limit ?? 50 })) as FiringRow[];
    return rows.map(toFiring);
  }

  async recordEmitted(event: Omit<EmittedEvent, 'seq'>): Promise<number> {
    const info = this.guard(() => this.q.insertEmitted.run(event.namespace ?? DEFAULT_NAMESPACE, event.name, JSON.stringify(event.data ?? null), event.at, event.run_id ?? null));
    return Number(info.lastInsertRowid);
  }

  async emittedAfter(seq: number, limit: number): Promise<EmittedEvent[]> {
    const rows = this.guard(() => this.q.emittedAfter.all(seq, limit)) as EmittedRow[];
    return rows.map(toEmitted);
  }

  async lastEmitted(): Promise<number> {
    return (this.guard(() => this.q.lastEmitted.get()) as { seq: number }).seq;
  }

  async runsEndedAfter(cursor: EndCursor, limit: number): Promise<EndedRun[]> {
    return this.guard(() => this.q.runsEndedAfter.all({ ...cursor, limit })) as EndedRun[];
  }

  async getCursor(name: string): Promise<string | undefined> {
    return (this.guard(() => this.q.getCursor.get(name)) as { value: string } | undefined)?.value;
  }

  async setCursor(name: string, value: string): Promise<void> {
    this.guard(() => this.q.setCursor.run(name, value));
  }

  async putSchedule(row: Omit<ScheduleRow, 'id'> & { id?: string }): Promise<ScheduleRow> {
    return this.guard(() =>
      this.db
        .transaction(() => {
          const id = row.id ?? `added:${(this.q.nextAddedSchedule.get() as { n: number }).n}`;
          const out: ScheduleRow = { ...row, namespace: row.namespace ?? DEFAULT_NAMESPACE, id };
          this.q.putSchedule.run({ namespace: row.namespace ?? DEFAULT_NAMESPACE, id, workflow: row.workflow, file: row.file ?? null, cron: row.cron ?? null, timezone: row.timezone ?? null, missed: row.missed ?? null, paused: row.paused ? 1 : 0, created_at: row.created_at });
          return out;
        })
        .immediate(),
    );
  }

  async removeSchedule(id: string, namespace = DEFAULT_NAMESPACE): Promise<boolean> {
    return this.guard(() => this.q.removeSchedule.run(namespace, id)).changes > 0;
  }

  async listSchedules(namespace?: string): Promise<ScheduleRow[]> {
    return (this.guard(() => this.q.listSchedules.all({ namespace: namespace ?? null })) as ScheduleDbRow[]).map(toSchedule);
  }

  /** SQLite's errors as the store's (STORE_BUSY, STORE_DISK_FULL...). */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
