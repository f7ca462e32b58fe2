/**
 * A run's output a page at a time, each page at most a given number of bytes: the tail by
 * default, or forward from an offset an earlier page returned, until the end. For readers
 * that must bound every answer (`baton mcp`'s get_logs), where `baton logs` streams.
 *
 * The text is the run's lines in time order, each ending in a line break; read for the
 * whole run, each line says whose it is, as `baton logs` prints it: `deploy | text`
 * (stdout), `deploy ! text` (stderr), `deploy#2 | ...` (a later attempt). A line longer
 * than what is left of a page is split, so every byte comes exactly once, page after page.
 * An offset is opaque: the store's log cursor and how far into the next line it is.
 */
import { BatonError } from '../observability/errors.js';
import type { LogCursor, LogLine, LogStore } from '../store/store.js';

export interface LogPageQuery {
  /** Only this task's lines; default every task's. */
  task?: string;
  /** The `next` of an earlier page, or `0` for the start; default: the tail. */
  offset?: string;
  /** The most bytes of text the page holds. */
  limitBytes: number;
}

export interface LogTextPage {
  text: string;
  /** Bytes of `text` (UTF-8). */
  bytes: number;
  /**
   * Output left out: the tail starts after the log's start; a page from an offset ends
   * before what has been written so far.
   */
  truncated: boolean;
  /** Where the page after this one starts; after a tail, where output written later starts. */
  next: string;
}

/** Reads one page of the run's output (see the module's comment). */
export async function readLogPage(logs: LogStore, runId: string, query: LogPageQuery): Promise<LogTextPage> {
  const render = renderer(query.task === undefined);
  if (query.offset === undefined) return tail(logs, runId, query, render);
  const from = decodeOffset(query.offset);
  const parts: Buffer[] = [];
  let used = 0;
  let skip = from.skip;
  let nextSkip = 0;
  let truncated = false;
  const cursor = await logs.forEach(
    runId,
    (line) => {
      let bytes = Buffer.from(render(line));
      const skipped = skip;
      if (skip > 0) {
        bytes = bytes.subarray(Math.min(skip, bytes.length));
        skip = 0;
      }
      const room = query.limitBytes - used;
      if (bytes.length <= room) {
        parts.push(bytes);
        used += bytes.length;
        return undefined;
      }
      // It does not fit: what does, up to a whole character, and the rest on the next page.
      const take = charStart(bytes, room);
      parts.push(bytes.subarray(0, take));
      used += take;
      nextSkip = skipped + take;
      truncated = true;
      return false;
    },
    { ...(query.task === undefined ? {} : { task: query.task }), ...(from.cursor === undefined ? {} : { cursor: from.cursor }) },
  );
  const text = Buffer.concat(parts);
  return { text: text.toString('utf8'), bytes: text.length, truncated, next: encodeOffset(cursor, nextSkip) };
}

/** The last `limitBytes` of the output (whole lines read, the first one cut if need be). */
async function tail(logs: LogStore, runId: string, query: LogPageQuery, render: (line: LogLine) => string): Promise<LogTextPage> {
  // Lines vary in size: read more of them until there are enough bytes or no more lines.
  let wanted = 64;
  for (;;) {
    const page = await logs.read(runId, { tail: wanted, ...(query.task === undefined ? {} : { task: query.task }) });
    const all = Buffer.from(page.lines.map(render).join(''));
    const whole = page.lines.length < wanted;
    if (all.length >= query.limitBytes || whole || wanted >= MAX_TAIL_LINES) {
      const start = all.length > query.limitBytes ? charEnd(all, all.length - query.limitBytes) : 0;
      const text = all.subarray(start);
      return { text: text.toString('utf8'), bytes: text.length, truncated: start > 0 || !whole, next: encodeOffset(page.cursor, 0) };
    }
    wanted *= 4;
  }
}

/** The most lines a tail reads to fill a page (of very short lines). */
const MAX_TAIL_LINES = 1 << 16;

function renderer(prefixed: boolean): (line: LogLine) => string {
  if (!prefixed) return (line) => `${line.text}\n`;
  return (line) => `${line.attempt > 1 ? `${line.task}#${line.attempt}` : line.task} ${line.stream === 'stderr' ? '!' : '|'} ${line.text}\n`;
}

/** The largest n <= max at which `bytes` can be cut without splitting a UTF-8 character. */
function charStart(bytes: Buffer, max: number): number {
  let n = Math.min(max, bytes.length);
  while (n > 0 && n < bytes.length && (bytes[n] & 0xc0) === 0x80) n--;
  return n;
}

/** The smallest n >= min at which `bytes` can be cut without splitting a UTF-8 character. */
function charEnd(bytes: Buffer, min: number): number {
  let n = min;
  while (n < bytes.length && (bytes[n] & 0xc0) === 0x80) n++;
  return n;
}

interface Offset {
  cursor?: LogCursor;
  /** Bytes of the line at the cursor already given. */
  skip: number;
}

function encodeOffset(cursor: LogCursor, skip: number): string {
  return Buffer.from(JSON.stringify({ c: cursor, s: skip })).toString('base64url');
}

/** `0` is the start; anything else must be an offset a page gave. LOG_BAD_OFFSET otherwise. */
export function decodeOffset(offset: string): Offset {
  if (offset.trim() === '0') return { skip: 0 };
  try {
    const parsed = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8')) as { c?: unknown; s?: unknown };
    const cursor = parsed.c;
    const valid =
      typeof cursor === 'object' && cursor !== null && !Array.isArray(cursor) && Object.values(cursor).every((v) => Number.isInteger(v) && (v as number) >= 0) && Number.isInteger(parsed.s) && (parsed.s as number) >= 0;
    if (valid) return { cursor: cursor as LogCursor, skip: parsed.s as number };
  } catch {
    // Said below.
  }
  throw new BatonError('LOG_BAD_OFFSET', `offset ${JSON.stringify(offset.slice(0, 80))} is not one a page of this log gave: pass the next_offset of an earlier answer, or "0" to read from the start`, {
    details: { offset: offset.slice(0, 200) },
  });
}
