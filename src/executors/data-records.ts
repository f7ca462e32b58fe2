/**
 * The records of a data_processor on their way in: each input file read as a stream and
 * written to the processor's stdin one record per line, never more than a chunk of a file
 * and the records made of it held at once (a write that the pipe cannot take waits for it
 * to drain: back-pressure all the way to the disk).
 *
 * - jsonl: each line that is not blank is a record, passed on as it is;
 * - lines: each line is a record (a line break at the end of the file ends the last one);
 * - json: the file is parsed as it streams (@streamparser/json, loaded on first use): a
 *   top-level array gives its elements, anything else each top-level value; each is
 *   written as one line of JSON.
 *
 * A record may be at most MAX_RECORD_BYTES long, so one huge line cannot take the memory
 * that streaming saves.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { RecordFormat } from '../spec/model.js';
import { formatOf } from './data-files.js';
import { ExecutorError } from './errors.js';

/** The longest record (a line, or an element of a JSON array) read or written: 64 MiB. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;
/** Bytes read from an input file at a time. */
const CHUNK_BYTES = 256 * 1024;

export interface InCounts {
  records: number;
  bytes: number;
}

/**
 * Writes the records of `files`, in order, to `stdin` and ends it. Returns early, without
 * an error, when the processor stops reading (it exited: its exit code tells how it went).
 */
export async function feedRecords(files: string[], format: RecordFormat | undefined, stdin: Writable, counts: InCounts): Promise<void> {
  let open = true;
  const closed = () => (open = false);
  stdin.once('close', closed);
  stdin.once('error', closed);
  try {
    for (const file of files) {
      const records = formatOf(file, format) === 'json' ? jsonRecords(file, counts) : lineRecords(file, formatOf(file, format), counts);
      for await (const chunk of records) {
        if (!open) return;
        if (!stdin.write(chunk)) await drained(stdin);
      }
    }
    if (open) stdin.end();
  } finally {
    stdin.off('close', closed);
    stdin.off('error', closed);
  }
}

/** Resolves once `stream` takes writes again, or has closed (whoever reads it is gone). */
async function drained(stream: Writable): Promise<void> {
  if (stream.destroyed) return;
  const ac = new AbortController();
  try {
    await Promise.race([once(stream, 'drain', { signal: ac.signal }), once(stream, 'close', { signal: ac.signal })]);
  } catch {
    // An 'error' event: the stream closes next, and the feed stops.
  } finally {
    ac.abort();
  }
}

/** Batches of whole lines (each ending in \n) of a jsonl or lines file. */
async function* lineRecords(file: string, format: RecordFormat, counts: InCounts): AsyncGenerator<Buffer> {
  const skipBlank = format === 'jsonl';
  let carry: Buffer[] = [];
  let carried = 0;
  for await (const chunk of readChunks(file)) {
    counts.bytes += chunk.length;
    const out: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      let line = chunk.subarray(start, end);
      if (carried > 0) {
        line = Buffer.concat([...carry, line]);
        carry = [];
        carried = 0;
      }
      start = end + 1;
      if (pushLine(line, skipBlank, out)) counts.records++;
    }
    if (start < chunk.length) {
      carry.push(chunk.subarray(start));
      carried += chunk.length - start;
      if (carried > MAX_RECORD_BYTES) throw tooLong(file, counts.records + 1);
    }
    if (out.length > 0) yield Buffer.concat(out);
  }
  const out: Buffer[] = [];
  if (carried > 0 && pushLine(Buffer.concat(carry), skipBlank, out)) {
    counts.records++;
    yield Buffer.concat(out);
  }
}

/** Adds a line (without its \n; a \r before it goes too) and a \n; false when it is blank and skipped. */
function pushLine(line: Buffer, skipBlank: boolean, out: Buffer[]): boolean {
  const text = line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line;
  if (skipBlank && isBlank(text)) return false;
  out.push(text, NEWLINE);
  return true;
}

const NEWLINE = Buffer.from('\n');

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 32 && byte !== 9) return false;
  return true;
}

type JsonParserClass = typeof import('@streamparser/json').JSONParser;
let jsonParser: Promise<JsonParserClass> | undefined;

/** Batches of records of a JSON file, each one line of JSON. */
async function* jsonRecords(file: string, counts: InCounts): AsyncGenerator<Buffer> {
  const JSONParser = await (jsonParser ??= import('@streamparser/json').then((m) => m.JSONParser));
  let parser: InstanceType<JsonParserClass> | undefined;
  let batch: string[] = [];
  let failure: Error | undefined;
  let sinceRecord = 0;
  for await (const chunk of readChunks(file)) {
    counts.bytes += chunk.length;
    if (parser === undefined) {
      // An array's elements are the records; any other value is one (several, one after another, are each one).
      parser = new JSONParser(firstByte(chunk) === 0x5b ? { paths: ['$.*'], keepStack: false } : { paths: ['$'], keepStack: false, separator: '' });
      parser.onValue = ({ value }) => batch.push(JSON.stringify(value));
      parser.onError = (err) => (failure ??= err);
    }
    if (!parser.isEnded) parser.write(chunk);
    else if (firstByte(chunk) !== undefined) failure ??= new Error('there is more after the end of the JSON value');
    if (failure !== undefined) throw notJson(file, failure);
    if (batch.length === 0) {
      sinceRecord += chunk.length;
      if (sinceRecord > MAX_RECORD_BYTES) throw tooLong(file, counts.records + 1);
      continue;
    }
    sinceRecord = 0;
    counts.records += batch.length;
    const lines = `${batch.join('\n')}\n`;
    batch = [];
    yield Buffer.from(lines);
  }
  // A number at the very end is complete only now.
  if (parser !== undefined && !parser.isEnded) parser.end();
  if (failure !== undefined) throw notJson(file, failure);
  if (batch.length > 0) {
    counts.records += batch.length;
    yield Buffer.from(`${batch.join('\n')}\n`);
  }
}

/** The first byte that is not white space (nor a byte order mark), or undefined. */
function firstByte(chunk: Buffer): number | undefined {
  for (const byte of chunk) if (byte !== 32 && byte !== 9 && byte !== 10 && byte !== 13 && byte !== 0xef && byte !== 0xbb && byte !== 0xbf) return byte;
  return undefined;
}

async function* readChunks(file: string): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof ExecutorError) throw err;
    throw new ExecutorError('DATA_INPUT', `cannot read the input ${file}: ${(err as Error).message}`, { retryable: false, cause: err });
  }
}

function notJson(file: string, err: Error): ExecutorError {
  return new ExecutorError('DATA_INPUT', `the input ${file} is not valid JSON (${err.message}); fix the file, or set input.format to jsonl (one JSON value per line) or lines`, {
    retryable: false,
    cause: err,
    details: { file },
  });
}

function tooLong(file: string, record: number): ExecutorError {
  return new ExecutorError('DATA_RECORD_TOO_LONG', `record ${record} of ${file} is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB; a data_processor holds one record at a time, so records must be smaller (split the data into lines, or a JSON array of smaller elements)`, {
    retryable: false,
    details: { file, record },
  });
}
