/**
 * Writing to stdout when it may be a pipe to a slow reader (`baton logs RUN | less`,
 * `baton run --follow | slow-tool`). On POSIX, Node writes to a pipe asynchronously and
 * keeps whatever the reader has not taken yet in memory, without limit; these helpers keep
 * that bounded. (Writes to a file or a terminal are synchronous and hold nothing.)
 */

/**
 * `baton logs ... | head` closes the pipe before baton is done writing: that is the reader
 * saying it has enough, not an error. Call once before writing a lot to stdout.
 */
export function stopQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

type Out = Pick<NodeJS.WriteStream, 'write' | 'once' | 'off' | 'writableLength'>;

/**
 * Writes `text`; when the reader is behind, returns a promise that settles once it has
 * caught up (stdout's 'drain'), so a caller that waits for it never holds more than a
 * pipe's worth of output. Returns nothing when there is no need to wait.
 */
export function writeOrWait(text: string, out: Out = process.stdout): Promise<void> | undefined {
  if (out.write(text)) return undefined;
  return drained(out);
}

function drained(out: Out): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      out.off('error', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
    // The error itself goes to the stream's own handler (stopQuietlyOnClosedStdout).
    out.once('error', done);
  });
}

/** Bytes a live view may leave waiting for a slow reader before it drops lines. */
export const LIVE_BACKLOG_BYTES = 1 << 20;

/**
 * What a run shows while it goes (progress lines, `--follow` output). The run never waits
 * for the reader: that would slow the run to the reader's pace. Instead, once more than
 * `limit` bytes wait for the reader, whole lines are dropped and counted; when the reader
 * has caught up, one line says how many were skipped and where they all are. Everything
 * is in the log store regardless (`baton logs RUN`).
 */
export class LiveOutput {
  private skipped = 0;
  private waiting = false;

  constructor(
    private readonly out: Out,
    /** Where the skipped lines can be read: `baton logs <run>`, once the run id is known. */
    private readonly whereAll: () => string,
    private readonly limit = LIVE_BACKLOG_BYTES,
  ) {}

  write(text: string): void {
    if (this.skipped > 0 || this.out.writableLength > this.limit) {
      this.skipped += countLines(text);
      if (!this.waiting) {
        this.waiting = true;
        this.out.once('drain', () => {
          this.waiting = false;
          this.note();
        });
      }
      return;
    }
    this.out.write(text);
  }

  /** The run is over: say what was skipped, if anything, before the summary. */
  close(): void {
    this.note();
  }

  private note(): void {
    if (this.skipped === 0) return;
    const n = this.skipped;
    this.skipped = 0;
    this.out.write(`... ${n} line${n === 1 ? '' : 's'} skipped (the reader was slower than the run); see ${this.whereAll()}\n`);
  }
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n === 0 ? 1 : n;
}
