/**
 * Rows of the trigger tables (firings, emitted events, schedules) as the trigger store's
 * records, for the SQL stores (SQLite, PostgreSQL).
 */
import type { EmittedEvent, Firing, ScheduleRow } from '../triggers.js';
import { sqlBoolean } from './columns.js';

export interface FiringRow {
  id: number;
  namespace: string;
  workflow: string;
  trigger: string;
  source: string;
  at: number;
  outcome: Firing['outcome'];
  reason: string | null;
  code: string | null;
  run_id: string | null;
  delivery: string | null;
}

export function toFiring(row: FiringRow): Firing {
  const out: Firing = { id: row.id, namespace: row.namespace, workflow: row.workflow, trigger: row.trigger, source: row.source, at: row.at, outcome: row.outcome };
  if (row.reason !== null) out.reason = row.reason;
  if (row.code !== null) out.code = row.code;
  if (row.run_id !== null) out.run_id = row.run_id;
  if (row.delivery !== null) out.delivery = row.delivery;
  return out;
}

export interface EmittedRow {
  seq: number;
  namespace: string;
  name: string;
  /** The event's data as JSON text. */
  data: string | null;
  at: number;
  run_id: string | null;
}

export function toEmitted(row: EmittedRow): EmittedEvent {
  return { seq: row.seq, namespace: row.namespace, name: row.name, data: row.data === null ? null : (JSON.parse(row.data) as unknown), at: row.at, ...(row.run_id !== null ? { run_id: row.run_id } : {}) };
}

/** A row of the schedules table (ScheduleRow is the record the trigger store hands out). */
export interface ScheduleDbRow {
  id: string;
  namespace: string;
  workflow: string;
  file: string | null;
  cron: string | null;
  timezone: string | null;
  missed: string | null;
  paused: boolean | number;
  created_at: number;
}

export function toSchedule(row: ScheduleDbRow): ScheduleRow {
  return {
    id: row.id,
    namespace: row.namespace,
    workflow: row.workflow,
    ...(row.file !== null ? { file: row.file } : {}),
    ...(row.cron !== null ? { cron: row.cron } : {}),
    ...(row.timezone !== null ? { timezone: row.timezone } : {}),
    // Any other text is no policy the scheduler knows: left out, so its default applies.
    ...(row.missed === 'skip' || row.missed === 'run-once' ? { missed: row.missed } : {}),
    paused: sqlBoolean(row.paused),
    created_at: row.created_at,
  };
}
