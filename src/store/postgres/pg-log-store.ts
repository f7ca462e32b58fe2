/**
 * Task output in PostgreSQL (migrations/005_logs.sql): a run's tasks may run on several
 * machines, and whoever reads its log, anywhere, reads the same lines.
 *
 * Writing: chunks are joined into lines here (line-joiner.ts, as the other stores do) and
 * the lines go to the database in batches (pg-log-writer.ts). Each line is stamped with the
 * time its last chunk arrived, never earlier than the attempt's line before, so an
 * attempt's lines are in time order as they are in line order.
 *
 * Reading: a read first waits for this process's lines of the run still on their way, so a
 * read after a write sees it. It looks up each attempt's last line (log_attempts) and reads
 * up to there and no further: lines written meanwhile are the next read's, which its
 * cursor starts at. The attempts' lines are merged by time in pg-log-reader.ts, a chunk at
 * a time. A cursor holds, per attempt (cursorKey), the number of the last line read.
 *
 * Watching: a watch wakes when this process committed lines of the run, or when a
 * notification on baton_logs names the run (or says '', anything may have changed).
 */
import { LineJoiner } from '../logs/line-joiner.js';
import { ChangeFlag } from '../logs/log-watch.js';
import { parseNamedQueries } from '../named-queries.js';
import type { LogCursor, LogLine, LogPage, LogQuery, LogStore, LogStream, LogWatch } from '../store.js';
import type { PgDatabase } from './driver.js';
import type { PgNotifier } from './pg-notifier.js';
import { AttemptMerge, type AttemptRange, type LineRow } from './pg-log-reader.js';
import { PgLogWriter } from './pg-log-writer.js';
import queries from './logs.sql';

const attemptsOfRun = parseNamedQueries(queries).get('attemptsOfRun')!;

interface Writing {
  joiner: LineJoiner;
  /** The time of the attempt's last line: the next is stamped no earlier. */
  lastAt: number;
}

interface AttemptRow {
  task: string;
  attempt: number;
  lines: number;
  after: number;
  first: number | null;
}

/** What a read covers: the attempts with lines to read, and the cursor once all are read. */
interface ReadPlan {
  ranges: AttemptRange[];
  /** Of each attempt read, where its cursor stood. */
  after: Map<string, number>;
  since: number;
  end: Record<string, number>;
}

export class PgLogStore implements LogStore {
  private readonly writing = new Map<string, Writing>();
  private readonly writer: PgLogWriter;
  private readonly watches = new Map<string, Set<ChangeFlag>>();
  /** The baton_logs subscription, made by the first watch; resolves to its unsubscribe. */
  private listening?: Promise<() => void>;

  constructor(
    private readonly db: PgDatabase,
    private readonly notifier: PgNotifier,
  ) {
    this.writer = new PgLogWriter(db, (runIds) => {
      for (const runId of runIds) this.wake(runId);
    });
  }

  write(runId: string, task: string, attempt: number, stream: LogStream, chunk: string): void {
    const key = `${runId}\u0000${task}\u0000${attempt}`;
    let writing = this.writing.get(key);
    if (!writing) this.writing.set(key, (writing = { joiner: new LineJoiner(), lastAt: 0 }));
    this.add(runId, task, attempt, writing, stream, writing.joiner.push(stream, chunk));
    // Kept first, thrown after: this chunk is not lost with the ones before it.
    this.writer.check(runId);
  }

  end(runId: string, task: string, attempt: number): void {
    const key = `${runId}\u0000${task}\u0000${attempt}`;
    const writing = this.writing.get(key);
    if (writing) {
      this.writing.delete(key);
      for (const stream of ['stdout', 'stderr'] as const) this.add(runId, task, attempt, writing, stream, writing.joiner.flush(stream));
    }
    this.writer.check(runId);
  }

  async read(runId: string, query: LogQuery = {}): Promise<LogPage> {
    if (query.tail === undefined) {
      const lines: LogLine[] = [];
      const cursor = await this.forEach(runId, (line) => void lines.push(line), query);
      return { lines, cursor };
    }
    await this.writer.settled(runId);
    const plan = await this.plan(runId, query);
    const tail = Math.max(0, Math.floor(query.tail));
    const lines: LogLine[] = [];
    // Backwards from the end until `tail` lines are in.
    const merge = new AttemptMerge(this.db, runId, tail === 0 ? [] : plan.ranges, true, plan.since, tail);
    while (lines.length < tail) {
      const row = merge.pop();
      if (row) lines.push(toLine(row));
      else if (!(await merge.refill())) break;
    }
    return { lines: lines.reverse(), cursor: plan.end };
  }

  async forEach(runId: string, each: (line: LogLine, next: number) => unknown, query: Omit<LogQuery, 'tail'> = {}): Promise<LogCursor> {
    await this.writer.settled(runId);
    const plan = await this.plan(runId, query);
    // Where each attempt read stands: the n of its last line given.
    const given = new Map(plan.after);
    const merge = new AttemptMerge(this.db, runId, plan.ranges, false, plan.since);
    let count = 0;
    for (;;) {
      const row = merge.pop();
      if (!row) {
        if (await merge.refill()) continue;
        return plan.end;
      }
      const behind = each(toLine(row), row.n);
      // Stopped before this line: every attempt read resumes after its last line given.
      if (behind === false) return { ...plan.end, ...Object.fromEntries(given) };
      given.set(this.cursorKey(row.task, row.attempt), row.n);
      if (behind instanceof Promise) await behind;
      else if (++count % 50_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** `task#attempt`: unambiguous, since the attempt after the last '#' is digits (logs.sql builds the same). */
  cursorKey(task: string, attempt: number): string {
    return `${task}#${attempt}`;
  }

  watch(runId: string): LogWatch {
    let set = this.watches.get(runId);
    if (!set) this.watches.set(runId, (set = new Set()));
    const watches = set;
    const watch = new ChangeFlag(() => {
      watches.delete(watch);
      if (watches.size === 0) this.watches.delete(runId);
    });
    watches.add(watch);
    this.listening ??= this.notifier
      .subscribe('baton_logs', (payload) => {
        if (payload !== '') this.wake(payload);
        else for (const runId of [...this.watches.keys()]) this.wake(runId);
      })
      // Not listening: watches wake on this process's writes and their callers' timeouts.
      .catch(() => () => undefined);
    return watch;
  }

  /** Ends every attempt still being written (their partial last lines are kept) and waits until all is in the database. */
  async close(): Promise<void> {
    let first: unknown;
    for (const key of [...this.writing.keys()]) {
      const [runId, task, attempt] = key.split('\u0000');
      try {
        this.end(runId, task, Number(attempt));
      } catch (err) {
        first ??= err;
      }
    }
    await this.writer.flushAll();
    first ??= this.writer.takeFailure();
    const listening = this.listening;
    this.listening = undefined;
    if (listening) (await listening)();
    if (first !== undefined) throw first;
  }

  private add(runId: string, task: string, attempt: number, writing: Writing, stream: LogStream, block: string | undefined): void {
    if (block === undefined) return;
    writing.lastAt = Math.max(Date.now(), writing.lastAt);
    this.writer.add(runId, task, attempt, stream, block, writing.lastAt);
  }

  private wake(runId: string): void {
    for (const watch of this.watches.get(runId) ?? []) watch.signal();
  }

  /**
   * The attempts a read covers (query.task's, or all) and the lines of each it reads:
   * after the cursor's position, from the first at or after `since`, up to the last now.
   */
  private async plan(runId: string, query: Omit<LogQuery, 'tail'>): Promise<ReadPlan> {
    const end: Record<string, number> = { ...query.cursor };
    const keys = Object.keys(end);
    const since = Math.max(0, query.since ?? 0);
    const rows = await this.db.query<AttemptRow>(attemptsOfRun, [runId, query.task ?? null, keys, keys.map((key) => position(end[key])), since]);
    const plan: ReadPlan = { ranges: [], after: new Map(), since, end };
    for (const row of rows) {
      const key = this.cursorKey(row.task, row.attempt);
      end[key] = Math.max(row.after, row.lines);
      const lo = Math.max(row.after, (row.first ?? Infinity) - 1);
      if (lo >= row.lines) continue;
      plan.ranges.push({ task: row.task, attempt: row.attempt, lo, hi: row.lines });
      plan.after.set(key, row.after);
    }
    return plan;
  }
}

/** A cursor's position as the n of a line read: a whole number, 0 for nothing read. */
function position(value: unknown): number {
  return typeof value === 'number' && value > 0 ? Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER) : 0;
}

function toLine(row: LineRow): LogLine {
  return { task: row.task, attempt: row.attempt, stream: row.stream, at: row.at, text: row.text.toString('utf8') };
}
