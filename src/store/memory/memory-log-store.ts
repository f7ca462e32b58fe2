import { LineJoiner } from '../logs/line-joiner.js';
import { ChangeFlag } from '../logs/log-watch.js';
import type { LogCursor, LogLine, LogPage, LogQuery, LogStore, LogStream, LogWatch } from '../store.js';

interface MemoryAttempt {
  task: string;
  attempt: number;
  /** Kept lines are lines[head...]; lines before head were dropped for the size bound. */
  lines: LogLine[];
  head: number;
  /** Lines ever written: what a cursor counts. */
  written: number;
  chars: number;
  joiner: LineJoiner;
}

/**
 * Task output in this process. Nothing is on disk, so each attempt keeps at most
 * `maxCharsPerAttempt` of its newest output; otherwise it behaves like the file log store
 * (lines joined from chunks, time order, since / tail / cursor).
 */
export class MemoryLogStore implements LogStore {
  private readonly runs = new Map<string, Map<string, MemoryAttempt>>();
  /** Watches of each run's output: every line added wakes them (writers are in this process). */
  private readonly watches = new Map<string, Set<ChangeFlag>>();

  /** @param maxCharsPerAttempt output kept per attempt; default 1 MiB of text. */
  constructor(private readonly maxCharsPerAttempt = 1 << 20) {}

  write(runId: string, task: string, attempt: number, stream: LogStream, chunk: string): void {
    let run = this.runs.get(runId);
    if (!run) this.runs.set(runId, (run = new Map()));
    const id = this.cursorKey(task, attempt);
    let entry = run.get(id);
    if (!entry) run.set(id, (entry = { task, attempt, lines: [], head: 0, written: 0, chars: 0, joiner: new LineJoiner() }));
    this.add(runId, entry, stream, entry.joiner.push(stream, chunk));
  }

  end(runId: string, task: string, attempt: number): void {
    const entry = this.runs.get(runId)?.get(this.cursorKey(task, attempt));
    if (!entry) return;
    this.add(runId, entry, 'stdout', entry.joiner.flush('stdout'));
    this.add(runId, entry, 'stderr', entry.joiner.flush('stderr'));
  }

  async read(runId: string, query: LogQuery = {}): Promise<LogPage> {
    const { lines, cursor } = this.select(runId, query);
    const tail = query.tail === undefined ? undefined : Math.max(0, Math.floor(query.tail));
    return { lines: tail === undefined || lines.length <= tail ? lines : lines.slice(lines.length - tail), cursor };
  }

  async forEach(runId: string, each: (line: LogLine, next: number) => unknown, query: Omit<LogQuery, 'tail'> = {}): Promise<LogCursor> {
    const { lines, cursor, marks } = this.select(runId, query);
    for (const [i, line] of lines.entries()) {
      const behind = each(line, marks[i].seq + 1);
      // Stopped before this line: it, and every attempt's first line not yet given, come next.
      if (behind === false) return { ...cursor, ...this.resumeAt(marks.slice(i)) };
      if (behind instanceof Promise) await behind;
    }
    return cursor;
  }

  /** A cursor counts each attempt's lines written. */
  cursorKey(task: string, attempt: number): string {
    return `${task}\u0000${attempt}`;
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
    return watch;
  }

  /** For each attempt, the count of its lines written before the first of `rest` that is its. */
  private resumeAt(marks: { id: string; seq: number }[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const mark of marks) if (!Object.hasOwn(out, mark.id)) out[mark.id] = mark.seq;
    return out;
  }

  async close(): Promise<void> {
    for (const [runId, run] of this.runs) {
      for (const entry of run.values()) this.end(runId, entry.task, entry.attempt);
    }
  }

  private add(runId: string, entry: MemoryAttempt, stream: LogStream, block: string | undefined): void {
    if (block === undefined) return;
    for (const watch of this.watches.get(runId) ?? []) watch.signal();
    const at = Date.now();
    for (const text of block.split('\n')) {
      entry.lines.push({ task: entry.task, attempt: entry.attempt, stream, at, text });
      entry.chars += text.length;
      entry.written++;
    }
    while (entry.chars > this.maxCharsPerAttempt && entry.lines.length - entry.head > 1) {
      entry.chars -= entry.lines[entry.head++].text.length;
    }
    if (entry.head > 1024 && entry.head * 2 > entry.lines.length) {
      entry.lines = entry.lines.slice(entry.head);
      entry.head = 0;
    }
  }

  /**
   * The run's lines matching task, since and cursor, in time order, and the cursor after
   * them; `marks` says, line by line, which attempt it is of and how many of that attempt's
   * lines were written before it (where a cursor resumes at it).
   */
  private select(runId: string, query: LogQuery): LogPage & { marks: { id: string; seq: number }[] } {
    const cursor: Record<string, number> = { ...query.cursor };
    const out: { line: LogLine; mark: { id: string; seq: number } }[] = [];
    for (const [id, entry] of this.runs.get(runId) ?? []) {
      if (query.task !== undefined && entry.task !== query.task) continue;
      const dropped = entry.written - (entry.lines.length - entry.head);
      const from = entry.head + Math.max(0, (cursor[id] ?? 0) - dropped);
      for (let i = from; i < entry.lines.length; i++) {
        const line = entry.lines[i];
        if (query.since === undefined || line.at >= query.since) out.push({ line: { ...line }, mark: { id, seq: dropped + i - entry.head } });
      }
      cursor[id] = entry.written;
    }
    // Stable: equal times keep attempt order.
    out.sort((a, b) => a.line.at - b.line.at);
    return { lines: out.map((o) => o.line), cursor, marks: out.map((o) => o.mark) };
  }
}

