/**
 * Reading a run's lines from PostgreSQL in time order, as log-reader.ts does for files:
 * each attempt's lines are already in time order (by line number, pg-log-store.ts), so the
 * attempts are read side by side, a chunk of each at a time, and merged here by time.
 *
 * A chunk is a range of line numbers (from+1..to, logs.sql linesOfAttempts), never "the
 * next k after": whatever plan the server picks, a query reads at most a chunk per attempt,
 * and a huge log costs the same per line as a small one. The chunks of all the attempts a
 * step needs go in one query. Memory stays near READ_BUDGET lines however long the log.
 *
 * Ties of time go by task, then attempt (then line, within an attempt): the same order
 * every time, in every process.
 */
import { parseNamedQueries } from '../named-queries.js';
import type { LogStream } from '../store.js';
import type { PgDatabase } from './driver.js';
import queries from './logs.sql';

const linesOfAttempts = parseNamedQueries(queries).get('linesOfAttempts')!;

/** Lines held at once by a read, shared by its attempts (each gets at least MIN_CHUNK). */
const READ_BUDGET = 2_000;
const MIN_CHUNK = 16;

export interface LineRow {
  task: string;
  attempt: number;
  n: number;
  stream: LogStream;
  at: number;
  text: Buffer;
}

/** One attempt's range of lines to read: after `lo`, up to and including `hi`. */
export interface AttemptRange {
  task: string;
  attempt: number;
  lo: number;
  hi: number;
}

interface Source extends AttemptRange {
  /** Forwards: the last n fetched; backwards: the first. */
  edge: number;
  lines: LineRow[];
  next: number;
}

/**
 * The lines of some attempts merged by time, forwards (from the first) or backwards (from
 * the last). `pop` is synchronous while every attempt has lines at hand; when it returns
 * undefined, `refill` fetches what is missing and says whether anything is left.
 */
export class AttemptMerge {
  private readonly heap: Source[] = [];
  /** Sources whose lines at hand ran out while more are in the database: none may be passed over. */
  private dry: Source[];
  private readonly chunk: number;

  constructor(
    private readonly db: PgDatabase,
    private readonly runId: string,
    ranges: AttemptRange[],
    private readonly backwards: boolean,
    private readonly since: number,
    /** Lines wanted at most (a tail): no chunk is bigger. */
    wanted = Infinity,
  ) {
    this.dry = ranges.filter((r) => r.hi > r.lo).map((r) => ({ ...r, edge: backwards ? r.hi + 1 : r.lo, lines: [], next: 0 }));
    this.chunk = Math.min(Math.max(MIN_CHUNK, Math.floor(READ_BUDGET / Math.max(1, this.dry.length))), wanted);
  }

  /** The next line, or undefined when lines must be fetched first (or none are left). */
  pop(): LineRow | undefined {
    if (this.dry.length > 0 || this.heap.length === 0) return undefined;
    const top = this.heap[0];
    const line = top.lines[top.next++];
    if (top.next < top.lines.length) {
      this.siftDown(0);
    } else {
      this.removeTop();
      top.lines = [];
      top.next = 0;
      if (this.more(top)) this.dry.push(top);
    }
    return line;
  }

  /** Fetches the next chunk of every attempt that ran out; false when no line is left anywhere. */
  async refill(): Promise<boolean> {
    while (this.dry.length > 0) {
      const sources = this.dry;
      this.dry = [];
      const ranges = sources.map((s) => (this.backwards ? [Math.max(s.lo, s.edge - 1 - this.chunk), s.edge - 1] : [s.edge, Math.min(s.hi, s.edge + this.chunk)]));
      const rows = await this.db.query<LineRow>(linesOfAttempts, [
        this.runId,
        sources.map((s) => s.task),
        sources.map((s) => s.attempt),
        ranges.map((r) => r[0]),
        ranges.map((r) => r[1]),
        this.since,
      ]);
      const byKey = new Map<string, LineRow[]>();
      for (const row of rows) {
        const key = `${row.attempt}\u0000${row.task}`;
        let list = byKey.get(key);
        if (!list) byKey.set(key, (list = []));
        list.push(row);
      }
      sources.forEach((source, i) => {
        source.edge = this.backwards ? ranges[i][0] + 1 : ranges[i][1];
        const lines = byKey.get(`${source.attempt}\u0000${source.task}`) ?? [];
        if (this.backwards) lines.reverse();
        if (lines.length > 0) {
          source.lines = lines;
          source.next = 0;
          this.push(source);
        } else if (this.more(source)) {
          // A range with no line at or after `since`: on to the next.
          this.dry.push(source);
        }
      });
    }
    return this.heap.length > 0;
  }

  private more(source: Source): boolean {
    return this.backwards ? source.edge - 1 > source.lo : source.edge < source.hi;
  }

  /** Whether a's next line comes before b's in the merge's direction. */
  private before(a: Source, b: Source): boolean {
    const x = a.lines[a.next];
    const y = b.lines[b.next];
    const order = x.at - y.at || (x.task < y.task ? -1 : x.task > y.task ? 1 : 0) || x.attempt - y.attempt;
    return this.backwards ? order > 0 : order < 0;
  }

  private push(source: Source): void {
    const heap = this.heap;
    heap.push(source);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  private removeTop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.siftDown(0);
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let first = i;
      if (l < heap.length && this.before(heap[l], heap[first])) first = l;
      if (r < heap.length && this.before(heap[r], heap[first])) first = r;
      if (first === i) return;
      [heap[i], heap[first]] = [heap[first], heap[i]];
      i = first;
    }
  }
}
