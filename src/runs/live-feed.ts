/**
 * A run's feed: its events and (optionally) its log lines, live, interleaved in time, each
 * with the position (feed-position.ts) a reader goes on from. `baton serve` streams it as
 * server-sent events; any front end that follows a run can.
 *
 * The feed goes in passes. A pass reads the run's status, then its new events, then its
 * new log lines (streamed, the next line read only once the reader has taken the one
 * before), and gives a line after the events stamped before it. When a pass gives nothing,
 * the feed ends if the run had finished when the pass began (so all its output was there
 * to read), or else sleeps until an event is appended or the log store reports output.
 *
 * An attempt's output is complete before its TaskSucceeded or TaskFailed is recorded
 * (the engine ends the attempt's log first), and a line is given before any event stamped
 * after it, so by the time the feed gives that event, every line of the attempt has been
 * given. From then on the attempt is left out of reads and positions: a position names only
 * the attempts still going, and resuming from it skips the ones that ended by its seq.
 * (Lines an attempt writes after its end, a timed-out step still printing, are not fed.)
 */
import type { StoredEvent } from '../store/events.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import type { LogCursor, LogLine, Store } from '../store/store.js';
import { attemptId, encodeAttempt, encodePosition, type FeedPosition } from './feed-position.js';

interface Going {
  task: string;
  attempt: number;
  next: number;
  key: string;
  text: string;
}

export type FeedItem = { kind: 'event'; event: StoredEvent } | { kind: 'line'; line: LogLine };

/** Where the feed's items go. A promise returned makes the feed wait for it: the reader is behind. */
export interface FeedSink {
  send(item: FeedItem, position: string): Promise<void> | undefined;
  /** The feed is about to sleep: what was sent should reach the reader now. */
  flush(): Promise<void>;
  /** Nothing was sent for `idleMs`. */
  idle(): Promise<void>;
}

export interface FeedOptions {
  /** Feed log lines too; default true. */
  logs?: boolean;
  /** Only this task's lines (events are all fed); default every task's. */
  task?: string;
  /** The sink's idle() after this long without an item (ms); default 15 s. */
  idleMs?: number;
  /** Ends the feed. */
  signal: AbortSignal;
}

/**
 * How long a pass sleeps at most while the run is running: the log store's reports are the
 * usual wake-up, this is the fallback where the file system gives none.
 */
const RUNNING_RECHECK_MS = 1000;

/** The events after which an attempt's output is complete. */
function endedAttempt(event: StoredEvent): { task: string; attempt: number } | undefined {
  return event.type === 'TaskSucceeded' || event.type === 'TaskFailed' ? { task: event.task, attempt: event.attempt } : undefined;
}

/** Feeds the run from `from` until it has finished and everything is given, or the signal fires. */
export async function feedRun(store: Store, runId: string, from: FeedPosition, sink: FeedSink, options: FeedOptions): Promise<void> {
  await new Feed(store, runId, from, sink, options).run();
}

class Feed {
  private seq: number;
  /** Attempts going, with output given: their place, their cursor key, their entry's text. */
  private readonly going = new Map<string, Going>();
  /** Attempts that ended (their output all given), by attemptId. */
  private readonly endedIds = new Set<string>();
  /** The same as log cursor entries that leave them out of reads. */
  private readonly endedCursor: Record<string, number> = {};
  private readonly logs: boolean;
  private readonly idleMs: number;
  private lastSent = Date.now();

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    from: FeedPosition,
    private readonly sink: FeedSink,
    private readonly options: FeedOptions,
  ) {
    this.seq = from.seq;
    this.logs = options.logs !== false;
    this.idleMs = options.idleMs ?? 15_000;
    for (const [id, place] of from.attempts) this.going.set(id, { ...place, key: this.store.logs.cursorKey(place.task, place.attempt), text: encodeAttempt(place) });
  }

  async run(): Promise<void> {
    const { signal } = this.options;
    await this.start();
    const watch = this.logs ? this.store.logs.watch(this.runId) : undefined;
    try {
      while (!signal.aborted) {
        const record = await this.store.runs.getRun(this.runId);
        const sent = await this.pass(await this.store.runs.readEvents(this.runId, this.seq));
        if (signal.aborted) return;
        if (sent > 0) continue;
        // Finished before this pass began: it read everything the run will ever have.
        if (record === undefined || FINISHED_RUN_STATUSES.has(record.status)) return;
        await this.sink.flush();
        await this.sleep(record.status === 'running' ? RUNNING_RECHECK_MS : this.idleMs, watch);
        if (Date.now() - this.lastSent >= this.idleMs && !signal.aborted) {
          await this.sink.idle();
          this.lastSent = Date.now();
        }
      }
    } finally {
      watch?.close();
      await this.sink.flush();
    }
  }

  /** Learns which attempts had ended by the starting seq: their output was all given. */
  private async start(): Promise<void> {
    if (!this.logs || this.seq === 0) return;
    for (const event of await this.store.runs.readEvents(this.runId)) {
      if (event.seq > this.seq) break;
      this.endIfDone(event);
    }
  }

  /** Gives `events` and the new log lines, interleaved by time; returns how many items it gave. */
  private async pass(events: StoredEvent[]): Promise<number> {
    let sent = 0;
    let i = 0;
    const eventsBefore = async (at: number) => {
      while (i < events.length && events[i].at < at && !this.options.signal.aborted) {
        await this.give({ kind: 'event', event: events[i++] });
        sent++;
      }
    };
    if (this.logs) {
      const line = async (item: LogLine, next: number) => {
        await eventsBefore(item.at);
        await this.giveLine(item, next);
      };
      await this.store.logs.forEach(
        this.runId,
        (item, next) => {
          if (this.options.signal.aborted) return false;
          if (this.endedIds.has(attemptId(item.task, item.attempt))) return undefined;
          sent++;
          if (i < events.length && events[i].at < item.at) return line(item, next);
          return this.giveLine(item, next);
        },
        { ...(this.options.task === undefined ? {} : { task: this.options.task }), cursor: this.cursor() },
      );
    }
    await eventsBefore(Infinity);
    return sent;
  }

  private giveLine(line: LogLine, next: number): Promise<void> | undefined {
    const id = attemptId(line.task, line.attempt);
    // Ended while this line waited for the events before it: the line came after its end.
    if (this.endedIds.has(id)) return undefined;
    const place = { task: line.task, attempt: line.attempt, next };
    const going = this.going.get(id);
    if (going) {
      going.next = next;
      going.text = encodeAttempt(place);
    } else {
      this.going.set(id, { ...place, key: this.store.logs.cursorKey(line.task, line.attempt), text: encodeAttempt(place) });
    }
    return this.give({ kind: 'line', line });
  }

  private give(item: FeedItem): Promise<void> | undefined {
    if (item.kind === 'event') {
      this.seq = item.event.seq;
      this.endIfDone(item.event);
    }
    this.lastSent = Date.now();
    return this.sink.send(item, encodePosition(this.seq, [...this.going.values()].map((a) => a.text)));
  }

  private endIfDone(event: StoredEvent): void {
    const ended = this.logs ? endedAttempt(event) : undefined;
    if (!ended) return;
    const id = attemptId(ended.task, ended.attempt);
    this.going.delete(id);
    this.endedIds.add(id);
    this.endedCursor[this.store.logs.cursorKey(ended.task, ended.attempt)] = Number.MAX_SAFE_INTEGER;
  }

  /** Where this pass reads the log from: each going attempt's place; ended ones not at all. */
  private cursor(): LogCursor {
    const cursor: Record<string, number> = { ...this.endedCursor };
    for (const a of this.going.values()) cursor[a.key] = a.next;
    return cursor;
  }

  /** Until an event is appended, output is reported, `ms` passes or the feed is stopped. */
  private async sleep(ms: number, watch: ReturnType<Store['logs']['watch']> | undefined): Promise<void> {
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    this.options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const waits: Promise<unknown>[] = [this.store.runs.waitForEvents(this.runId, this.seq, { timeoutMs: ms, signal: stop.signal })];
      if (watch) waits.push(watch.changed({ timeoutMs: ms, signal: stop.signal }));
      await Promise.race(waits);
    } finally {
      stop.abort();
      this.options.signal.removeEventListener('abort', onAbort);
    }
  }
}
