/**
 * Task output of a run a server drives, as it is written, for `--follow` (and tasks with
 * `live_output`) with --server: the run's log pages (GET /api/runs/{id}/logs) read
 * forward from an offset every quarter second, each line handed on with its task and
 * stream, as a local run's view gets them.
 */
import type { RemoteServer } from '../../runs/remote-client.js';

/** How often the log is looked at while the run goes. */
const POLL_MS = 250;
/** The most bytes one page brings. */
const PAGE_BYTES = 256 * 1024;

interface LogPage {
  text: string;
  truncated: boolean;
  next: string;
}

export type OutputSink = (task: string, stream: 'stdout' | 'stderr', text: string) => void;

export class LogPoller {
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  /** A line cut by a page's end, completed by the next page. */
  private partial = '';

  constructor(
    private readonly server: RemoteServer,
    private readonly runId: string,
    /** Where reading starts: `0` for the run's start, or a page's `next`. */
    private offset: string,
    private readonly sink: OutputSink,
  ) {}

  /** Where output written from now on starts (before an action, so none of what it causes is missed). */
  static async endOf(server: RemoteServer, runId: string): Promise<string> {
    const page = await server.get<LogPage>(`/api/runs/${encodeURIComponent(runId)}/logs`, { limit_bytes: 1 });
    return page.next;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      // A look still going is not doubled; errors wait for the next look (finish reports them).
      this.reading ??= this.readAll()
        .catch(() => {})
        .finally(() => (this.reading = undefined));
    }, POLL_MS);
  }

  /** The run is over: stops looking, then reads what is left. */
  async finish(): Promise<void> {
    clearInterval(this.timer);
    await this.reading;
    await this.readAll();
  }

  private async readAll(): Promise<void> {
    for (;;) {
      const page = await this.server.get<LogPage>(`/api/runs/${encodeURIComponent(this.runId)}/logs`, { offset: this.offset, limit_bytes: PAGE_BYTES });
      this.offset = page.next;
      this.take(page.text);
      if (!page.truncated) return;
    }
  }

  /** Lines as `baton logs` prints them: `task | text` (stdout), `task ! text` (stderr), `task#2 | ...` (a later attempt). */
  private take(text: string): void {
    const all = this.partial + text;
    const end = all.lastIndexOf('\n');
    this.partial = all.slice(end + 1);
    if (end < 0) return;
    for (const line of all.slice(0, end).split('\n')) {
      const match = /^(.+?)(?:#\d+)? ([|!]) (.*)$/s.exec(line);
      if (match) this.sink(match[1], match[2] === '!' ? 'stderr' : 'stdout', `${match[3]}\n`);
    }
  }
}
