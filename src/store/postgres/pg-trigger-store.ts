/**
 * The trigger store on PostgreSQL (store/triggers.ts), shared by every server on the
 * database. Recording a delivery twice is refused by a unique index (INSERT ... ON CONFLICT
 * DO NOTHING), so two servers handed one webhook delivery cannot both fire it: the second
 * gets the first's firing back as a duplicate.
 *
 * Emitted events and added schedules are numbered under an advisory lock each, where
 * SQLite's single writer did that by itself: emitted events so that a reader's position
 * (seq) never passes one that commits late, schedules so that two processes adding at once
 * never take one id.
 */
import { DEFAULT_NAMESPACE } from '../events.js';
import { toEmitted, toFiring, toSchedule, type EmittedRow, type FiringRow, type ScheduleDbRow } from '../rows/triggers.js';
import { parseNamedQueries } from '../named-queries.js';
import type { EmittedEvent, EndCursor, EndedRun, Firing, FiringFilter, NewFiring, ScheduleRow, TriggerStore } from '../triggers.js';
import type { PgDatabase, Queryable } from './driver.js';
import queries from './triggers.sql';

type Name =
  | 'insertFiring'
  | 'firingByDelivery'
  | 'updateFiring'
  | 'listFirings'
  | 'lockEmitted'
  | 'insertEmitted'
  | 'emittedAfter'
  | 'lastEmitted'
  | 'runsEndedAfter'
  | 'getCursor'
  | 'setCursor'
  | 'lockSchedules'
  | 'nextAddedSchedule'
  | 'putSchedule'
  | 'removeSchedule'
  | 'listSchedules';
const q = Object.fromEntries(parseNamedQueries(queries)) as Record<Name, string>;

export class PgTriggerStore implements TriggerStore {
  constructor(private readonly db: PgDatabase) {}

  async recordFiring(firing: NewFiring): Promise<{ firing: Firing } | { duplicate: Firing }> {
    const namespace = firing.namespace ?? DEFAULT_NAMESPACE;
    const [inserted] = await this.db.query<FiringRow>(q.insertFiring, [
      namespace,
      firing.workflow,
      firing.trigger,
      firing.source,
      firing.at,
      firing.outcome,
      firing.reason ?? null,
      firing.code ?? null,
      firing.run_id ?? null,
      firing.delivery ?? null,
    ]);
    if (inserted) return { firing: toFiring(inserted) };
    // The conflicting insert has committed (ON CONFLICT waited for it): this statement sees it.
    const [earlier] = await this.db.query<FiringRow>(q.firingByDelivery, [namespace, firing.workflow, firing.delivery]);
    return { duplicate: toFiring(earlier) };
  }

  async updateFiring(id: number, change: Pick<Firing, 'outcome'> & Partial<Pick<Firing, 'run_id' | 'reason' | 'code'>>): Promise<void> {
    await this.db.query(q.updateFiring, [id, change.outcome, change.run_id ?? null, change.reason ?? null, change.code ?? null]);
  }

  async listFirings(filter: FiringFilter = {}): Promise<Firing[]> {
    const rows = await this.db.query<FiringRow>(q.listFirings, [filter.namespace ?? null, filter.workflow ?? null, filter.outcome ?? null, filter.before ?? null, Math.max(0, filter.limit ?? 50)]);
    return rows.map(toFiring);
  }

  async recordEmitted(event: Omit<EmittedEvent, 'seq'>): Promise<number> {
    return this.db.tx(async (tx) => {
      await tx.query(q.lockEmitted);
      const [row] = await tx.query<{ seq: number }>(q.insertEmitted, [event.namespace ?? DEFAULT_NAMESPACE, event.name, JSON.stringify(event.data ?? null), event.at, event.run_id ?? null]);
      return row.seq;
    });
  }

  async emittedAfter(seq: number, limit: number): Promise<EmittedEvent[]> {
    const rows = await this.db.query<EmittedRow>(q.emittedAfter, [seq, limit]);
    return rows.map(toEmitted);
  }

  async lastEmitted(): Promise<number> {
    const [row] = await this.db.query<{ seq: number }>(q.lastEmitted);
    return row.seq;
  }

  async runsEndedAfter(cursor: EndCursor, limit: number): Promise<EndedRun[]> {
    return this.db.query<EndedRun>(q.runsEndedAfter, [cursor.ended_at, cursor.id, limit]);
  }

  async getCursor(name: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ value: string }>(q.getCursor, [name]);
    return row?.value;
  }

  async setCursor(name: string, value: string): Promise<void> {
    await this.db.query(q.setCursor, [name, value]);
  }

  async putSchedule(row: Omit<ScheduleRow, 'id'> & { id?: string }): Promise<ScheduleRow> {
    const namespace = row.namespace ?? DEFAULT_NAMESPACE;
    const put = async (id: string, on: Queryable) => {
      await on.query(q.putSchedule, [namespace, id, row.workflow, row.file ?? null, row.cron ?? null, row.timezone ?? null, row.missed ?? null, row.paused, row.created_at]);
      return { ...row, namespace, id };
    };
    if (row.id !== undefined) return put(row.id, this.db);
    return this.db.tx(async (tx) => {
      await tx.query(q.lockSchedules);
      const [{ n }] = await tx.query<{ n: number }>(q.nextAddedSchedule);
      return put(`added:${n}`, tx);
    });
  }

  async removeSchedule(id: string, namespace = DEFAULT_NAMESPACE): Promise<boolean> {
    return (await this.db.query(q.removeSchedule, [namespace, id])).length > 0;
  }

  async listSchedules(namespace?: string): Promise<ScheduleRow[]> {
    const rows = await this.db.query<ScheduleDbRow>(q.listSchedules, [namespace ?? null]);
    return rows.map(toSchedule);
  }
}
