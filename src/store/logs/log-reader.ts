/**
 * Reading a run's log files (format in log-files.ts) while their writer may still be
 * appending: each file is read up to its size when the read began, and only up to its last
 * complete line, so a half-written line waits for the next read. Files are merged by time
 * (k-way, each file already in time order), with bounded memory: a small buffer per file,
 * and for `tail` only the last lines.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { LogCursor, LogLine, LogQuery } from '../store.js';
import { isFileOfTask, isLogFileName, parseHeader, parseLine, runLogDir, taskFileBase } from './log-files.js';

/** Memory for read buffers, shared by the files of one read. */
const READ_BUDGET = 16 << 20;
const MIN_BUFFER = 4 << 10;
const MAX_BUFFER = 256 << 10;

/** One log file, read forward from a byte offset. */
class FileLines {
  task = '';
  attempt = 0;
  /** Where the next unread line starts: the cursor for this file. */
  offset: number;
  /**
   * Where the line `next()` returned last starts, while the merge holds it unread (a reader
   * that stops before it resumes there); undefined once the file has no more lines.
   */
  held?: number;
  private buf: Buffer;
  private bufStart: number;
  private bufLen = 0;
  private pos = 0;
  private readonly end: number;

  constructor(
    readonly file: string,
    from: number,
    bufferSize: number,
  ) {
    this.end = fileSize(file);
    this.offset = Math.min(from, this.end);
    this.bufStart = from > 0 ? this.offset : 0;
    this.buf = Buffer.allocUnsafe(Math.max(MIN_BUFFER, Math.min(bufferSize, this.end - this.bufStart)));
  }

  /** Reads the header; false if the file has no complete header yet (or is not a log). */
  open(): boolean {
    const header = this.offset > 0 ? readHeader(this.file) : this.rawLine();
    const parsed = header === undefined ? undefined : parseHeader(header);
    if (!parsed) return false;
    this.task = parsed.task;
    this.attempt = parsed.attempt;
    return true;
  }

  next(): LogLine | undefined {
    for (;;) {
      const start = this.offset;
      const raw = this.rawLine();
      if (raw === undefined) {
        this.held = undefined;
        return undefined;
      }
      const line = parseLine(raw);
      if (line) {
        this.held = start;
        return { task: this.task, attempt: this.attempt, stream: line.stream, at: line.at, text: line.text };
      }
    }
  }

  /** The next complete line's text (without '\n'), advancing `offset`. */
  private rawLine(): string | undefined {
    for (;;) {
      const nl = this.buf.indexOf(10, this.pos);
      if (nl >= 0 && nl < this.bufLen) {
        const text = this.buf.toString('utf8', this.pos, nl);
        this.pos = nl + 1;
        this.offset = this.bufStart + this.pos;
        return text;
      }
      if (!this.refill()) return undefined;
    }
  }

  private refill(): boolean {
    const readFrom = this.bufStart + this.bufLen;
    if (readFrom >= this.end) return false;
    const keep = this.bufLen - this.pos;
    if (keep === this.buf.length) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      this.buf.copy(bigger, 0, this.pos, this.bufLen);
      this.buf = bigger;
    } else if (keep > 0) {
      this.buf.copy(this.buf, 0, this.pos, this.bufLen);
    }
    this.bufStart += this.pos;
    this.pos = 0;
    this.bufLen = keep;
    const want = Math.min(this.buf.length - keep, this.end - readFrom);
    const got = readAt(this.file, this.buf, keep, want, readFrom);
    this.bufLen += got;
    // The file shrank under us (it never should): stop at what was there.
    return got > 0;
  }
}

/** The log files of a run (optionally of one task) in name order. */
export function runLogFiles(logsDir: string, runId: string, task?: string): string[] {
  const dir = runLogDir(logsDir, runId);
  if (!existsSync(dir)) return [];
  const base = task === undefined ? undefined : taskFileBase(task);
  return readdirSync(dir)
    .filter((name) => isLogFileName(name) && (base === undefined || isFileOfTask(name, base)))
    .sort()
    .map((name) => path.join(dir, name));
}

/**
 * Reads lines in time order: calls `each` for every line matching `query` (task, since,
 * cursor) and returns the new cursor. Yields to the event loop now and then on big logs.
 * `each` returning `false` stops the read before that line: the cursor then points at it
 * in its file, and at the first line not yet given in every other file (a page of a log).
 */
export async function forEachLine(
  logsDir: string,
  runId: string,
  query: Omit<LogQuery, 'tail'>,
  each: (line: LogLine, next: number) => unknown,
): Promise<LogCursor> {
  const cursor: Record<string, number> = { ...query.cursor };
  const files = runLogFiles(logsDir, runId, query.task);
  const bufferSize = Math.min(MAX_BUFFER, Math.floor(READ_BUDGET / Math.max(1, files.length)));
  const sources: FileLines[] = [];
  for (const file of files) {
    const from = cursor[path.basename(file)] ?? 0;
    // Following: most files have nothing new since the cursor.
    if (from > 0 && from >= fileSize(file)) continue;
    const source = new FileLines(file, from, bufferSize);
    if (source.open() && (query.task === undefined || source.task === query.task)) sources.push(source);
  }
  let count = 0;
  let stopped = false;
  for (const { line, index } of merge(sources)) {
    if (query.since === undefined || line.at >= query.since) {
      // The merge has not read past this line in its file yet: the file's offset is right after it.
      const behind = each(line, sources[index].offset);
      if (behind === false) {
        stopped = true;
        break;
      }
      if (behind instanceof Promise) await behind;
    }
    if (++count % 50_000 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  // Stopped: each file's line the merge holds (read, not given) is where that file resumes.
  for (const source of sources) cursor[path.basename(source.file)] = stopped && source.held !== undefined ? source.held : source.offset;
  return cursor;
}

/** The last `tail` lines matching `query`, in time order, and the cursor after them. */
export async function tailLines(logsDir: string, runId: string, query: LogQuery & { tail: number }): Promise<{ lines: LogLine[]; cursor: LogCursor }> {
  const files = runLogFiles(logsDir, runId, query.task);
  const tail = Math.max(0, Math.floor(query.tail));
  if (files.length * tail > 100_000) {
    // Too many files to take each one's last lines: scan forward, keeping the last ones.
    const ring = new Array<LogLine>(tail);
    let n = 0;
    const cursor = await forEachLine(logsDir, runId, query, (line) => {
      ring[n++ % tail] = line;
    });
    const lines = n <= tail ? ring.slice(0, n) : [...ring.slice(n % tail), ...ring.slice(0, n % tail)];
    return { lines, cursor };
  }
  const cursor: Record<string, number> = { ...query.cursor };
  const all: LogLine[] = [];
  for (const file of files) {
    const name = path.basename(file);
    const last = lastLinesOf(file, cursor[name] ?? 0, tail, query.since);
    if (!last || (query.task !== undefined && last.task !== query.task)) continue;
    for (const line of last.lines) all.push(line);
    cursor[name] = last.end;
  }
  // Stable: equal times keep file order, and each file's own order.
  all.sort((a, b) => a.at - b.at);
  return { lines: all.length > tail ? all.slice(all.length - tail) : all, cursor };
}

/**
 * A file's last `n` complete lines after byte `from` (at or after `since`), reading
 * backwards from its end, and where its complete lines end.
 */
function lastLinesOf(file: string, from: number, n: number, since?: number): { task: string; lines: LogLine[]; end: number } | undefined {
  const header = readHeader(file);
  const parsed = header === undefined ? undefined : parseHeader(header);
  if (header === undefined || !parsed) return undefined;
  const start = Math.max(from, Buffer.byteLength(header) + 1);
  const size = fileSize(file);
  const blocks: Buffer[] = [];
  let at = size;
  let newlines = 0;
  let end = -1;
  // Read blocks backwards until n + 1 line breaks before the last complete line are in.
  while (at > start && newlines <= n) {
    const len = Math.min(64 << 10, at - start);
    const block = Buffer.allocUnsafe(len);
    readAt(file, block, 0, len, at - len);
    at -= len;
    for (let i = len - 1; i >= 0; i--) {
      if (block[i] !== 10) continue;
      if (end < 0) end = at + i + 1;
      else newlines++;
    }
    blocks.unshift(block);
  }
  if (end < 0) return { task: parsed.task, lines: [], end: Math.max(start, Math.min(from, size)) };
  const data = Buffer.concat(blocks);
  const limit = end - at;
  const lines: LogLine[] = [];
  let pos = 0;
  if (newlines > n) {
    // Skip to after the line break that precedes the last n lines.
    let skip = newlines - n;
    while (skip > 0) if (data[pos++] === 10) skip--;
  }
  while (pos < limit) {
    const nl = data.indexOf(10, pos);
    const line = parseLine(data.toString('utf8', pos, nl));
    pos = nl + 1;
    if (line && (since === undefined || line.at >= since)) {
      lines.push({ task: parsed.task, attempt: parsed.attempt, stream: line.stream, at: line.at, text: line.text });
    }
  }
  return { task: parsed.task, lines: lines.length > n ? lines.slice(lines.length - n) : lines, end };
}

/** Lines of several files merged by time, each with the index of its file; ties keep file order. */
function* merge(sources: FileLines[]): Generator<{ line: LogLine; index: number }> {
  const heap: { line: LogLine; index: number }[] = [];
  const less = (a: { line: LogLine; index: number }, b: { line: LogLine; index: number }) =>
    a.line.at < b.line.at || (a.line.at === b.line.at && a.index < b.index);
  const push = (item: { line: LogLine; index: number }) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  };
  sources.forEach((source, index) => {
    const line = source.next();
    if (line) push({ line, index });
  });
  while (heap.length > 0) {
    const top = heap[0];
    yield top;
    const next = sources[top.index].next();
    if (next) {
      heap[0] = { line: next, index: top.index };
    } else {
      const last = heap.pop()!;
      if (heap.length === 0) break;
      heap[0] = last;
    }
    // Sift the new top down.
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && less(heap[l], heap[smallest])) smallest = l;
      if (r < heap.length && less(heap[r], heap[smallest])) smallest = r;
      if (smallest === i) break;
      [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
      i = smallest;
    }
  }
}

/** The first line of a file if it is complete. */
function readHeader(file: string): string | undefined {
  let size = 4096;
  for (;;) {
    const buf = Buffer.allocUnsafe(size);
    const n = readAt(file, buf, 0, size, 0);
    const nl = buf.subarray(0, n).indexOf(10);
    if (nl >= 0) return buf.toString('utf8', 0, nl);
    if (n < size) return undefined;
    size *= 4;
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function readAt(file: string, buf: Buffer, offset: number, length: number, position: number): number {
  if (length <= 0) return 0;
  const fd = openSync(file, 'r');
  try {
    let total = 0;
    while (total < length) {
      const n = readSync(fd, buf, offset + total, length - total, position + total);
      if (n === 0) break;
      total += n;
    }
    return total;
  } finally {
    closeSync(fd);
  }
}
