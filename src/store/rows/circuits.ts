/** Rows of the circuits table as circuits, for the SQL stores (SQLite, PostgreSQL). */
import type { CircuitLimits, CircuitProbe, CircuitRecord, CircuitState } from '../circuits.js';
import type { ParseJson } from './columns.js';

export interface CircuitRow {
  namespace: string;
  name: string;
  state: CircuitState;
  failures: string;
  opened_at: number | null;
  opened_after: number | null;
  probe_at: number | null;
  probes: string;
  limits: string;
  updated_at: number;
}

export function toCircuit(row: CircuitRow, parse: ParseJson): CircuitRecord {
  const record: CircuitRecord = {
    namespace: row.namespace,
    name: row.name,
    state: row.state,
    failures: parse(row.failures) as number[],
    probes: parse(row.probes) as CircuitProbe[],
    limits: parse(row.limits) as CircuitLimits,
    updated_at: row.updated_at,
  };
  if (row.opened_at !== null) record.opened_at = row.opened_at;
  if (row.opened_after !== null) record.opened_after = row.opened_after;
  if (row.probe_at !== null) record.probe_at = row.probe_at;
  return record;
}

/** The values of a circuit's row, in the order of the stores' put statements. */
export function circuitValues(record: CircuitRecord): unknown[] {
  return [
    record.namespace,
    record.name,
    record.state,
    JSON.stringify(record.failures),
    record.opened_at ?? null,
    record.opened_after ?? null,
    record.probe_at ?? null,
    JSON.stringify(record.probes),
    JSON.stringify(record.limits),
    record.updated_at,
  ];
}
