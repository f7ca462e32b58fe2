/**
 * The write side of the PostgreSQL log store. A task's output arrives on a stream callback
 * that must not wait (LogStore.write is synchronous), and a statement per chunk would be
 * far too many, so complete lines are buffered here and inserted in batches: every line
 * buffered, of every attempt of every run, in one statement (logs.sql appendLines), sent
 * FLUSH_DELAY_MS after the first line buffered or at once when BATCH_LINES are. Batches
 * go one after another, never two at once: an attempt's lines reach the database in order.
 *
 * A batch that fails for a reason that passes (the server restarting, no connection slot)
 * is tried again with back-off (RETRY_MS); one that still fails, or fails for any other
 * reason, is given up, and a StoreError naming how many lines were lost is kept for each
 * run it held lines of: the run's next write or end throws it (LogStore.write: "throws a
 * StoreError if it cannot be kept"), as a full disk does in the file store, and so does
 * close() for those nobody collected. A batch whose connection broke after the server
 * committed it cannot be told from one that failed: it is sent again, and its lines are
 * then kept twice rather than lost.
 *
 * Lines waiting here are held in memory: a task printing faster than the database takes
 * it grows the buffer, which the file store's synchronous writes do not allow.
 */
import { StoreError } from '../errors.js';
import { parseNamedQueries } from '../named-queries.js';
import type { LogStream } from '../store.js';
import type { PgDatabase } from './driver.js';
import queries from './logs.sql';

const appendLines = parseNamedQueries(queries).get('appendLines')!;

/** How long a line may wait for others to share its statement. */
const FLUSH_DELAY_MS = 20;
/** Lines (and bytes of text) in one statement at most; more buffered is sent at once. */
const BATCH_LINES = 500;
const BATCH_BYTES = 4 << 20;
/** Waits before each new try of a batch that failed for a reason that passes (~5 s in all). */
const RETRY_MS = [100, 400, 1_500, 3_000];
/** The errors worth trying again: the server away or busy, not a refusal. */
const PASSING = new Set(['STORE_UNAVAILABLE', 'STORE_BUSY']);

interface Pending {
  runId: string;
  task: string;
  attempt: number;
  stream: LogStream;
  at: number;
  /** The line's UTF-8: stored as BYTEA, since TEXT cannot hold a NUL byte. */
  text: Buffer;
}

export class PgLogWriter {
  private buffer: Pending[] = [];
  private bufferBytes = 0;
  private timer?: NodeJS.Timeout;
  /** The batches sent and to send, in order; never rejects. */
  private chain: Promise<void> = Promise.resolve();
  /** A drain is on the chain and has not taken the buffer yet: it will take what is added meanwhile. */
  private drainQueued = false;
  /** Lines of each run added and not yet in the database (nor given up). */
  private readonly unsaved = new Map<string, number>();
  /** Per run, the error of a batch given up that nobody has thrown yet. */
  private readonly failures = new Map<string, StoreError>();

  /** @param saved called with the runs whose lines a batch committed (their watches wake). */
  constructor(
    private readonly db: PgDatabase,
    private readonly saved: (runIds: ReadonlySet<string>) => void,
  ) {}

  /** Queues lines of an attempt (`block`: lines joined by '\n', all stamped `at`). */
  add(runId: string, task: string, attempt: number, stream: LogStream, block: string, at: number): void {
    let count = 0;
    for (const line of block.split('\n')) {
      const text = Buffer.from(line, 'utf8');
      this.buffer.push({ runId, task, attempt, stream, at, text });
      this.bufferBytes += text.length;
      count++;
    }
    this.unsaved.set(runId, (this.unsaved.get(runId) ?? 0) + count);
    if (this.buffer.length >= BATCH_LINES || this.bufferBytes >= BATCH_BYTES) this.flush();
    else if (this.timer === undefined && !this.drainQueued) this.timer = setTimeout(() => this.flush(), FLUSH_DELAY_MS);
  }

  /** Throws, once, the error of lines of the run that could not be kept. */
  check(runId: string): void {
    const failure = this.failures.get(runId);
    if (failure === undefined) return;
    this.failures.delete(runId);
    throw failure;
  }

  /** The first error nobody collected with check(), taken. */
  takeFailure(): StoreError | undefined {
    const first = this.failures.entries().next().value;
    if (first === undefined) return undefined;
    this.failures.delete(first[0]);
    return first[1];
  }

  /** Settles once every line of the run added so far is in the database, or given up. */
  settled(runId: string): Promise<void> {
    if (!this.unsaved.get(runId)) return Promise.resolve();
    this.flush();
    return this.chain;
  }

  /** Sends what is buffered now, and settles when it and every batch before it are done. */
  flushAll(): Promise<void> {
    if (this.buffer.length > 0) this.flush();
    return this.chain;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.drainQueued) return;
    this.drainQueued = true;
    this.chain = this.chain.then(() => this.drain());
  }

  /** Sends everything buffered when it starts, in batches of at most BATCH_LINES / BATCH_BYTES. */
  private async drain(): Promise<void> {
    this.drainQueued = false;
    const lines = this.buffer;
    this.buffer = [];
    this.bufferBytes = 0;
    let start = 0;
    while (start < lines.length) {
      let end = start;
      let bytes = 0;
      while (end < lines.length && end - start < BATCH_LINES && (end === start || bytes + lines[end].text.length <= BATCH_BYTES)) {
        bytes += lines[end++].text.length;
      }
      await this.send(lines.slice(start, end));
      start = end;
    }
  }

  /** Inserts one batch, tried again while it fails for a passing reason; never throws. */
  private async send(batch: Pending[]): Promise<void> {
    const params = batchParams(batch);
    const runs = new Map<string, number>();
    for (const line of batch) runs.set(line.runId, (runs.get(line.runId) ?? 0) + 1);
    let failure: unknown;
    for (let tries = 0; ; tries++) {
      try {
        await this.db.query(appendLines, params, 'baton.logs.appendLines');
        failure = undefined;
        break;
      } catch (err) {
        failure = err;
        if (!(err instanceof StoreError && PASSING.has(err.code)) || tries >= RETRY_MS.length) break;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[tries]));
      }
    }
    for (const [runId, count] of runs) {
      const left = (this.unsaved.get(runId) ?? 0) - count;
      if (left > 0) this.unsaved.set(runId, left);
      else this.unsaved.delete(runId);
      if (failure !== undefined && !this.failures.has(runId)) this.failures.set(runId, lost(runId, count, failure, this.db.location));
    }
    if (failure === undefined) this.saved(new Set(runs.keys()));
  }
}

/** appendLines' arrays; `back` counts the lines of the same attempt after each one. */
function batchParams(batch: Pending[]): unknown[] {
  const after = new Map<string, number>();
  const back = new Array<number>(batch.length);
  for (let i = batch.length - 1; i >= 0; i--) {
    const { runId, task, attempt } = batch[i];
    const key = `${runId}\u0000${task}\u0000${attempt}`;
    const seen = after.get(key) ?? 0;
    back[i] = seen;
    after.set(key, seen + 1);
  }
  return [
    batch.map((l) => l.runId),
    batch.map((l) => l.task),
    batch.map((l) => l.attempt),
    back,
    batch.map((l) => l.stream),
    batch.map((l) => l.at),
    batch.map((l) => l.text),
  ];
}

/** The error a run's next write throws: which lines, where, and why (the cause's code kept). */
function lost(runId: string, count: number, cause: unknown, location: string): StoreError {
  const code = cause instanceof StoreError ? cause.code : 'STORE_POSTGRES';
  const why = cause instanceof Error ? cause.message : String(cause);
  return new StoreError(code, `${count} line(s) of output of run ${runId} could not be kept in PostgreSQL at ${location}: ${why}`, {
    cause,
    details: { run: runId, lines: count, location },
  });
}
