/**
 * A data_processor's output: what its processor writes to stdout, one record per line,
 * written to a temporary file beside the output and renamed over it only when everything
 * succeeded, so the output's name never holds half an output, whenever baton stops.
 *
 * - jsonl: each line that is not blank must be JSON, and is written as it is;
 * - json: the same, and the records are written as the elements of one JSON array;
 * - lines: every line is written as it is.
 *
 * The temporary file is named after the output, the run and task (not the attempt), so a
 * later attempt (a retry, or the run resumed after a crash) removes what an earlier one left.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { close, fsync, open } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import type { RecordFormat } from '../spec/model.js';
import { MAX_RECORD_BYTES } from './data-records.js';
import { ExecutorError } from './errors.js';

export interface OutCounts {
  records: number;
  bytes: number;
}

/** The prefix of the temporary files of `output` made for one task of one run. */
export function tempPrefix(output: string, runId: string, taskKey: string): string {
  const hash = createHash('sha256').update(`${runId}/${taskKey}`).digest('hex').slice(0, 12);
  return path.join(path.dirname(output), `.${path.basename(output)}.baton-${hash}-`);
}

/** Removes the temporary files earlier attempts of this task left beside the output. */
export async function removeLeftTemps(prefix: string): Promise<void> {
  const dir = path.dirname(prefix);
  const start = path.basename(prefix);
  const names = await readdir(dir).catch(() => []);
  await Promise.all(names.filter((name) => name.startsWith(start)).map((name) => rm(path.join(dir, name), { force: true })));
}

/** The processor's stdout, checked and framed, on its way to a temporary file. */
export class RecordSink extends Writable {
  readonly counts: OutCounts = { records: 0, bytes: 0 };
  private carry: Buffer[] = [];
  private carried = 0;
  private started = false;
  private line = 0;
  /** Once closed, the descriptor's number may be another file's: never closed twice. */
  private fdClosed = false;

  private constructor(
    private readonly file: WriteStream,
    private readonly fd: number,
    readonly temp: string,
    private readonly format: RecordFormat,
  ) {
    super();
    file.on('error', (err) => this.destroy(outputError(`cannot write the output (${temp}): ${err.message}`, err)));
  }

  static async open(temp: string, format: RecordFormat): Promise<RecordSink> {
    const fd = await promisify(open)(temp, 'w', 0o644);
    return new RecordSink(createWriteStream('', { fd, autoClose: false }), fd, temp, format);
  }

  /** Ends a line left open, after what was written before: one process's output ended, another's may follow. */
  endLine(): Promise<void> {
    return new Promise((resolve, reject) => this.write(LINE_END, (err) => (err ? reject(err) : resolve())));
  }

  /** Ends the output, writes it to the disk, and renames it to `output`. */
  async commit(output: string): Promise<void> {
    await new Promise<void>((resolve, reject) => this.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await promisify(fsync)(this.fd);
    this.fdClosed = true;
    await promisify(close)(this.fd);
    await rename(this.temp, output);
  }

  /** Gives up: closes and removes the temporary file. */
  async discard(): Promise<void> {
    this.destroy();
    this.file.destroy();
    if (!this.fdClosed) {
      this.fdClosed = true;
      await promisify(close)(this.fd).catch(() => {});
    }
    await rm(this.temp, { force: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    if (chunk === LINE_END) {
      try {
        return this.toFile(this.carried > 0 ? this.emitLines([this.takeCarry()]) : [], done);
      } catch (err) {
        return done(err as Error);
      }
    }
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10); end >= 0; end = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, end);
      lines.push(this.carried > 0 ? Buffer.concat([this.takeCarry(), piece]) : piece);
      start = end + 1;
    }
    if (start < chunk.length) {
      this.carry.push(chunk.subarray(start));
      this.carried += chunk.length - start;
    }
    try {
      if (this.carried > MAX_RECORD_BYTES) throw outputError(`line ${this.line + lines.length + 1} of the processor's output is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB`);
      this.toFile(this.emitLines(lines), done);
    } catch (err) {
      done(err as Error);
    }
  }

  override _final(done: (err?: Error | null) => void): void {
    try {
      const out = this.carried > 0 ? this.emitLines([this.takeCarry()]) : [];
      if (this.format === 'json') out.push(Buffer.from(this.started ? '\n]\n' : '[]\n'));
      this.toFile(out, (err) => {
        if (err) return done(err);
        this.file.end(() => done());
      });
    } catch (err) {
      done(err as Error);
    }
  }

  private takeCarry(): Buffer {
    const whole = Buffer.concat(this.carry);
    this.carry = [];
    this.carried = 0;
    return whole;
  }

  /** Lines (without \n) -> what goes to the file; throws DATA_OUTPUT for a line that is not JSON where JSON is due. */
  private emitLines(lines: Buffer[]): Buffer[] {
    const out: Buffer[] = [];
    for (const raw of lines) {
      this.line++;
      const line = raw.length > 0 && raw[raw.length - 1] === 13 ? raw.subarray(0, -1) : raw;
      if (this.format !== 'lines') {
        const text = line.toString('utf8');
        if (text.trim() === '') continue;
        try {
          JSON.parse(text);
        } catch {
          const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
          throw outputError(`line ${this.line} of the processor's output is not JSON: ${JSON.stringify(shown)}; write one JSON value per line to stdout (messages go to stderr), or set output.format: lines`);
        }
      }
      if (this.format === 'json') out.push(Buffer.from(this.started ? ',\n' : '[\n'));
      this.started = true;
      out.push(line, NEWLINE_UNLESS_JSON[this.format]);
      this.counts.records++;
    }
    return out;
  }

  /** Writes to the file, calling `done` once it takes more (back-pressure). */
  private toFile(parts: Buffer[], done: (err?: Error | null) => void): void {
    if (parts.length === 0) return done();
    const buffer = Buffer.concat(parts);
    this.counts.bytes += buffer.length;
    if (this.file.write(buffer)) done();
    else this.file.once('drain', () => done());
  }
}

/** Written (by identity: the same empty buffer) to end a line in order with the output around it. */
const LINE_END = Buffer.alloc(0);

/** In a JSON array the separator comes before the next element, so a line ends without one. */
const NEWLINE_UNLESS_JSON: Record<RecordFormat, Buffer> = { json: Buffer.alloc(0), jsonl: Buffer.from('\n'), lines: Buffer.from('\n') };

function outputError(message: string, cause?: unknown): ExecutorError {
  return new ExecutorError('DATA_OUTPUT', message, { retryable: false, cause });
}
