/** Rows of the outbox table as outbox items, for the SQL stores (SQLite, PostgreSQL). */
import type { OutboxRecord, OutboxState } from '../outbox.js';
import type { ParseJson } from './columns.js';

export interface OutboxRow {
  id: number;
  key: string;
  namespace: string;
  channel: string;
  run_id: string | null;
  /** JSON text. */
  notice: string;
  state: OutboxState;
  attempts: number;
  repeats: number;
  created_at: number;
  next_at: number;
  fence: number;
  sender: string | null;
  lease_until: number | null;
  sent_at: number | null;
  /** JSON text {code, message}. */
  error: string | null;
}

export function toOutboxRecord(row: OutboxRow, parse: ParseJson): OutboxRecord {
  const record: OutboxRecord = {
    id: Number(row.id),
    key: row.key,
    namespace: row.namespace,
    channel: row.channel,
    notice: parse(row.notice) as Record<string, unknown>,
    state: row.state,
    attempts: row.attempts,
    repeats: row.repeats,
    created_at: row.created_at,
    next_at: row.next_at,
    fence: row.fence,
  };
  if (row.run_id !== null) record.run_id = row.run_id;
  if (row.sender !== null) record.sender = row.sender;
  if (row.lease_until !== null) record.lease_until = row.lease_until;
  if (row.sent_at !== null) record.sent_at = row.sent_at;
  if (row.error !== null) record.error = parse(row.error) as OutboxRecord['error'] & object;
  return record;
}
