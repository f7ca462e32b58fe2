/**
 * The rows a sql task keeps in its outputs: the first `max_rows` of them, and no more
 * than ROWS_MAX_BYTES of JSON; the others are only counted. Rows arrive one at a time from
 * the driver (streamed, never all in memory), so a query that returns millions of rows
 * costs a count, not the memory to hold them.
 *
 * Values become JSON: 64-bit integers stay numbers while they are exact (else strings),
 * dates and times come as the database writes them (strings), binary data as base64.
 */

/** JSON characters of rows kept in the outputs, at most. */
export const ROWS_MAX_BYTES = 1024 * 1024;

export type Row = Record<string, unknown>;

export class RowCollector {
  readonly rows: Row[] = [];
  columns: string[] = [];
  /** Rows the statement returned, kept or not. */
  count = 0;
  private bytes = 0;
  private full = false;

  constructor(
    private readonly maxRows: number,
    /** Each kept row, as JSON, for the task's log. */
    private readonly onKept: (json: string) => void = () => undefined,
    private readonly maxBytes = ROWS_MAX_BYTES,
  ) {}

  /** A new result set starts (a script's next statement): only the last one's rows are kept. */
  reset(columns: string[]): void {
    this.rows.length = 0;
    this.columns = columns;
    this.count = 0;
    this.bytes = 0;
    this.full = false;
  }

  add(row: Row): void {
    this.count++;
    if (this.full || this.rows.length >= this.maxRows) return;
    const plain = plainRow(row);
    const json = JSON.stringify(plain);
    if (this.bytes + json.length > this.maxBytes) {
      this.full = true;
      return;
    }
    this.bytes += json.length;
    this.rows.push(plain);
    this.onKept(json);
  }

  get truncated(): boolean {
    return this.rows.length < this.count;
  }
}

function plainRow(row: Row): Row {
  const out: Row = {};
  for (const [key, value] of Object.entries(row)) out[key] = plainValue(value);
  return out;
}

/** A value a driver gave, as JSON can hold it. */
export function plainValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (Array.isArray(value)) return value.map(plainValue);
  if (typeof value === 'object') {
    const out: Row = {};
    for (const [key, inner] of Object.entries(value)) out[key] = plainValue(inner);
    return out;
  }
  return value;
}

/** A param's value as every driver can bind it: lists and mappings as JSON text, booleans as 1/0 where the database has no booleans. */
export function bindableValue(value: unknown, booleansAsNumbers: boolean): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean' && booleansAsNumbers) return value ? 1 : 0;
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) return JSON.stringify(value);
  return value;
}
