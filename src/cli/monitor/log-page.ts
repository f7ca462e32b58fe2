/**
 * The monitor's page of a run's output (`l`), or one task's, followed live: the end of
 * what was written so far, then each new line as the run writes it, read a page at a time
 * from where the last read stopped (runs/log-pages.ts). The last MAX_LINES lines are kept;
 * up/down scroll back through them, and End (or G) follows the end again.
 */
import type { MonitorSource } from '../../runs/monitor-source.js';
import type { Body } from './dashboard.js';
import { fit, safe, type Colors } from './text.js';

/** Lines kept for scrolling back. */
const MAX_LINES = 5000;
/** Pages read per refresh at most, so a task printing fast cannot hold the screen up. */
const PAGES_PER_READ = 8;
// eslint-disable-next-line no-control-regex -- colour sequences in task output, dropped: a line is cut to the screen's width
const SGR = /\x1b\[[0-9;:]*m/g;

export class LogTail {
  readonly lines: string[] = [];
  /** Lines scrolled back from the end; 0 follows the end. */
  scroll = 0;
  private offset?: string;
  /** The start of a line whose end is not read yet. */
  private partial = '';

  constructor(
    private readonly source: MonitorSource,
    readonly runId: string,
    readonly task: string | undefined,
  ) {}

  /** Reads what was written since the last read (the first read: the end of the output so far). */
  async read(): Promise<void> {
    for (let i = 0; i < PAGES_PER_READ; i++) {
      const first = this.offset === undefined;
      const page = await this.source.logs(this.runId, { ...(this.task === undefined ? {} : { task: this.task }), ...(first ? {} : { offset: this.offset }) });
      this.offset = page.next;
      let text = this.partial + page.text;
      // The end of the output starts wherever the page's bytes did: its first line may be cut.
      if (first && page.truncated) text = text.slice(text.indexOf('\n') + 1);
      const lines = text.split('\n');
      this.partial = lines.pop() ?? '';
      this.add(lines);
      if (first || !page.truncated) return;
    }
  }

  private add(lines: string[]): void {
    if (lines.length === 0) return;
    for (const line of lines) this.lines.push(safe(line.replace(SGR, '')));
    if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    // Scrolled back, the same lines stay on screen as more come.
    if (this.scroll > 0) this.scroll = Math.min(this.scroll + lines.length, Math.max(0, this.lines.length - 1));
  }

  /** Moves the view `by` lines back (positive) or forward; 0 at the end follows it again. */
  scrollBy(by: number, rows: number): void {
    this.scroll = Math.max(0, Math.min(this.scroll + by, Math.max(0, this.lines.length - rows)));
  }

  /** The page: the `rows` lines ending `scroll` lines before the end. */
  body(rows: number, width: number, c: Colors): Body {
    const end = this.lines.length - this.scroll;
    const shown = this.lines.slice(Math.max(0, end - rows), end).map((line) => fit([line], width, c));
    if (this.lines.length === 0) shown.push(fit([['no output yet', 'dim']], width, c));
    return { lines: shown };
  }

  title(width: number, c: Colors): string {
    const what = this.task === undefined ? 'every task' : `task ${safe(this.task)}`;
    const state = this.scroll > 0 ? [`  scrolled back ${this.scroll} lines (End follows)`, 'yellow'] as const : ['  following', 'dim'] as const;
    return fit([['LOGS ', 'bold'], this.runId, '  ', what, state], width, c);
  }
}
