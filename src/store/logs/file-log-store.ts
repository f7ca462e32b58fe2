/**
 * Task output on disk, one file per attempt under `<logsDir>/<run>/` (format in
 * log-files.ts). Output is written as it arrives, with a synchronous write per chunk that
 * completes lines (the natural backpressure: a task cannot outrun the disk), and nothing but
 * each stream's unterminated last line is held in memory.
 */
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileError, readOnly } from '../errors.js';
import type { LogCursor, LogLine, LogPage, LogQuery, LogStore, LogStream, LogWatch } from '../store.js';
import { LineJoiner } from './line-joiner.js';
import { attemptFileName, headerLine, linePrefix, runLogDir } from './log-files.js';
import { forEachLine, tailLines } from './log-reader.js';
import { FolderWatch } from './log-watch.js';

/** Files kept open at once; more concurrent attempts reopen theirs (append) when they write. */
const MAX_OPEN_FILES = 128;

interface Writer {
  file: string;
  task: string;
  attempt: number;
  /** -1 while closed. */
  fd: number;
  /** Bytes in the file, all whole lines: where to cut back to if a write fails. */
  size: number;
  joiner: LineJoiner;
}

export interface FileLogStoreOptions {
  /** Refuse writes (STORE_READONLY); default false. */
  readonly?: boolean;
}

export class FileLogStore implements LogStore {
  private readonly writers = new Map<string, Writer>();
  /** Writers whose file is open, oldest first. */
  private readonly open = new Set<Writer>();
  private readonly madeDirs = new Set<string>();

  constructor(
    readonly logsDir: string,
    private readonly options: FileLogStoreOptions = {},
  ) {}

  write(runId: string, task: string, attempt: number, stream: LogStream, chunk: string): void {
    const key = `${runId}\u0000${task}\u0000${attempt}`;
    let writer = this.writers.get(key);
    if (!writer) {
      if (this.options.readonly) throw readOnly(this.logsDir);
      const file = path.join(runLogDir(this.logsDir, runId), attemptFileName(task, attempt));
      writer = { file, task, attempt, fd: -1, size: 0, joiner: new LineJoiner() };
      this.writers.set(key, writer);
    }
    const block = writer.joiner.push(stream, chunk);
    if (block !== undefined) this.writeBlock(writer, stream, block);
  }

  end(runId: string, task: string, attempt: number): void {
    const key = `${runId}\u0000${task}\u0000${attempt}`;
    const writer = this.writers.get(key);
    if (!writer) return;
    this.writers.delete(key);
    try {
      for (const stream of ['stdout', 'stderr'] as const) {
        const tail = writer.joiner.flush(stream);
        if (tail !== undefined) this.writeBlock(writer, stream, tail);
      }
    } finally {
      this.closeFile(writer);
    }
  }

  async read(runId: string, query: LogQuery = {}): Promise<LogPage> {
    if (query.tail !== undefined) return tailLines(this.logsDir, runId, { ...query, tail: query.tail });
    const lines: LogLine[] = [];
    const cursor = await forEachLine(this.logsDir, runId, query, (line) => lines.push(line));
    return { lines, cursor };
  }

  forEach(runId: string, each: (line: LogLine, next: number) => unknown, query: Omit<LogQuery, 'tail'> = {}): Promise<LogCursor> {
    return forEachLine(this.logsDir, runId, query, each);
  }

  /** A cursor holds each file's byte offset by file name. */
  cursorKey(task: string, attempt: number): string {
    return attemptFileName(task, attempt);
  }

  watch(runId: string): LogWatch {
    return new FolderWatch(runLogDir(this.logsDir, runId));
  }

  /** Ends every attempt still being written: their partial last lines are kept. */
  async close(): Promise<void> {
    let first: unknown;
    for (const key of [...this.writers.keys()]) {
      const [runId, task, attempt] = key.split('\u0000');
      try {
        this.end(runId, task, Number(attempt));
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Writes lines (joined by '\n') as one append; on failure cuts the file back to whole lines. */
  private writeBlock(writer: Writer, stream: LogStream, block: string): void {
    const prefix = linePrefix(Date.now(), stream);
    const text = prefix + (block.includes('\n') ? block.replaceAll('\n', `\n${prefix}`) : block) + '\n';
    this.openFile(writer);
    const bytes = Buffer.from(text, 'utf8');
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(writer.fd, bytes, done, bytes.length - done);
      writer.size += bytes.length;
    } catch (err) {
      try {
        ftruncateSync(writer.fd, writer.size);
      } catch {
        // The file keeps a partial last line, which readers skip until it is complete.
      }
      throw fileError(err, writer.file);
    }
  }

  private openFile(writer: Writer): void {
    if (writer.fd >= 0) return;
    if (this.options.readonly) throw readOnly(writer.file);
    try {
      const dir = path.dirname(writer.file);
      if (!this.madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.madeDirs.add(dir);
      }
      writer.fd = openSync(writer.file, 'a+');
      writer.size = wholeLinesSize(writer.fd);
      if (writer.size === 0) {
        const header = Buffer.from(headerLine(writer.task, writer.attempt), 'utf8');
        writeSync(writer.fd, header);
        writer.size = header.length;
      }
    } catch (err) {
      if (writer.fd >= 0) this.closeFile(writer);
      throw fileError(err, writer.file);
    }
    this.open.add(writer);
    if (this.open.size > MAX_OPEN_FILES) {
      const oldest = this.open.values().next().value;
      if (oldest && oldest !== writer) this.closeFile(oldest);
    }
  }

  private closeFile(writer: Writer): void {
    this.open.delete(writer);
    if (writer.fd < 0) return;
    try {
      closeSync(writer.fd);
    } finally {
      writer.fd = -1;
    }
  }
}

/**
 * The size of an open log file after cutting off a partial last line (left by a process
 * that died mid-write), so appended lines never glue onto it.
 */
function wholeLinesSize(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const buf = Buffer.allocUnsafe(64 << 10);
  let end = size;
  while (end > 0) {
    const len = Math.min(buf.length, end);
    readSync(fd, buf, 0, len, end - len);
    const nl = buf.subarray(0, len).lastIndexOf(10);
    if (nl >= 0) {
      const whole = end - len + nl + 1;
      if (whole !== size) ftruncateSync(fd, whole);
      return whole;
    }
    end -= len;
  }
  ftruncateSync(fd, 0);
  return 0;
}
