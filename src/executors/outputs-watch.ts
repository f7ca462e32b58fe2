/**
 * Reads a task's $BATON_OUTPUT file while the task runs, for its `progress=` and
 * `progress_message=` lines (progress-input.ts); its outputs are still read once, when it
 * ends (outputs-file.ts). The file is polled (its size, every POLL_MS) rather than watched
 * with fs.watch: one stat per half second per running task costs nothing, works the same
 * on every file system, and a task that ends sooner costs one stat at its end. Only the
 * bytes appended since the last look are read, so a task appending 10,000 lines is read
 * about once per poll, not once per line.
 *
 * The file may also hold outputs: a `name<<DELIMITER` block is skipped to its closing
 * line (a `progress=` inside is a value, not a report), and a file that is one JSON object
 * holds no progress at all.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { OUTPUT_LINE, OUTPUTS_MAX_BYTES } from './outputs-file.js';
import { messageInput, parseProgressValue, progressWarning, type ProgressInput } from './progress-input.js';

/** How often the file is looked at while its task runs. */
export const POLL_MS = 500;

/** Bytes read at most per look: a task writing outputs fast is caught up with over several. */
const READ_BYTES = 64 * 1024;

export class OutputsWatch {
  private offset = 0;
  private readonly decoder = new StringDecoder('utf8');
  /** The last line read, while it has no newline yet. */
  private partial = '';
  /** Inside a `name<<DELIMITER` block: its delimiter. */
  private heredoc?: string;
  /** Undecided until the file's first non-blank character: `{` makes it one JSON object, with no progress in it. */
  private json?: boolean;
  private warned = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    /** A valid report, in the order the task wrote them. */
    private readonly report: (input: ProgressInput) => void,
    /** A warning for the task's log: a `progress=` line that is not one (at most once). */
    private readonly warn: (line: string) => void,
    pollMs = POLL_MS,
  ) {
    this.timer = setInterval(() => this.look(false), pollMs);
    this.timer.unref();
  }

  /** The task ended: what it wrote since the last look is read, its last line included. */
  stop(): void {
    clearInterval(this.timer);
    // Most tasks write nothing: one stat says so.
    if (this.offset === 0 && statSync(this.file, { throwIfNoEntry: false }) === undefined) return;
    this.look(true);
  }

  private look(final: boolean): void {
    if (this.json) return;
    let text: string;
    try {
      text = this.readAppended(final);
    } catch {
      // Not there yet, or gone: nothing to read. The outputs' own read says what is wrong, at the end.
      return;
    }
    if (text === '' && !(final && this.partial !== '')) return;
    const lines = (this.partial + text).split('\n');
    this.partial = final ? '' : lines.pop()!;
    for (const line of lines) {
      this.line(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (this.json) return;
    }
  }

  /** What was appended since the last look; everything left when `final`. */
  private readAppended(final: boolean): string {
    const fd = openSync(this.file, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        // Written over from the start (`echo progress=5 > $BATON_OUTPUT`): read it again.
        this.offset = 0;
        this.partial = '';
        this.heredoc = undefined;
      }
      // Past the outputs' limit the task fails at its end (outputs-file.ts); nothing more is read.
      const end = Math.min(size, OUTPUTS_MAX_BYTES);
      let text = '';
      while (this.offset < end) {
        const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, end - this.offset));
        const read = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (read === 0) break;
        this.offset += read;
        text += this.decoder.write(buffer.subarray(0, read));
        if (!final) break;
      }
      return final ? text + this.decoder.end() : text;
    } finally {
      closeSync(fd);
    }
  }

  private line(line: string): void {
    if (this.heredoc !== undefined) {
      if (line === this.heredoc) this.heredoc = undefined;
      return;
    }
    if (line.trim() === '') return;
    if (this.json === undefined) {
      this.json = line.trimStart().startsWith('{');
      if (this.json) return;
    }
    const match = OUTPUT_LINE.exec(line);
    if (!match) return;
    const [, name, value, delimiter] = match;
    if (delimiter !== undefined) {
      this.heredoc = delimiter;
      return;
    }
    if (name === 'progress_message') return this.report(messageInput(value));
    if (name !== 'progress') return;
    const input = parseProgressValue(value);
    if (typeof input !== 'string') return this.report(input);
    if (this.warned) return;
    this.warned = true;
    this.warn(progressWarning(input));
  }
}
