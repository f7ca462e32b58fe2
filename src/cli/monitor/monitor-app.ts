/**
 * `baton monitor` on a terminal: three pages and what moves between them.
 *
 *   dashboard --Enter--> run --l/Enter--> logs (of the selected task)
 *   dashboard --l------> logs (of the selected run, every task)
 *   Esc or Backspace goes back one page; q or Ctrl-C quits from any page.
 *
 * `c` on the dashboard or a run's page asks to cancel that run, and y carries it out; any
 * other key lets it be. `?` shows every key. The page's data is read again every refresh
 * period and right after a key that changes page, one read at a time; the screen is drawn
 * after each read and each key. A read that fails (the server went away) is said on the
 * message line, and the last data stays on screen until a read works again.
 */
import { BatonError } from '../../observability/errors.js';
import type { MonitorSource } from '../../runs/monitor-source.js';
import type { Overview } from '../../runs/overview.js';
import type { StatusJson } from '../../runs/run-view.js';
import { countsLine, dashboardBody, listedRuns, type Body } from './dashboard.js';
import { parseKeys, type Key } from './keys.js';
import { LogTail } from './log-page.js';
import { runBody, runHead } from './run-page.js';
import type { Screen } from './screen.js';
import { fit, safe, shortId, wrap, type Colors, type Style } from './text.js';

type Page = { kind: 'dashboard' } | { kind: 'run'; runId: string } | { kind: 'logs'; tail: LogTail; back: Page };

const KEYS: Record<Page['kind'], string> = {
  dashboard: '↑↓/jk select  Enter open  l logs  c cancel  ? help  q quit',
  run: '↑↓/jk select task  l logs of the task  c cancel the run  Esc back  ? help  q quit',
  logs: '↑↓/jk scroll  PgUp/PgDn  End/G follow  Esc back  ? help  q quit',
};
const HELP =
  'Keys: ↑/k ↓/j move, PgUp/PgDn a page, Home/End the ends; Enter opens the selected run; l shows the selected run\'s (on a run\'s page: task\'s) output, following it; c cancels the selected run (y confirms); Esc/Backspace back; ? hides this; q or Ctrl-C quits';

export interface MonitorAppOptions {
  /** How often the page's data is read again (ms). */
  refreshMs: number;
  colors: Colors;
}

export class MonitorApp {
  private page: Page = { kind: 'dashboard' };
  private overview?: Overview;
  private view?: StatusJson;
  /**
   * The selected run of the dashboard, and task of the run page. Once a key moved it, the
   * dashboard's selection stays on its run as others come and go (by id); before, on the first row.
   */
  private runSel = 0;
  private runSelId?: string;
  private moved = false;
  private taskSel = 0;
  /** First body line shown, per page kind: moves only to keep the selection in sight. */
  private top = { dashboard: 0, run: 0 };
  private confirm?: { runId: string; workflow: string };
  private message?: { text: string; style: Style };
  private help = false;
  private timer?: NodeJS.Timeout;
  private reading = false;
  private again = false;
  private finish?: (code: number) => void;

  constructor(
    private readonly source: MonitorSource,
    private readonly screen: Screen,
    private readonly options: MonitorAppOptions,
  ) {}

  /** Runs until q or Ctrl-C; resolves with the exit code. */
  run(): Promise<number> {
    const done = new Promise<number>((resolve) => (this.finish = resolve));
    this.screen.enter(
      (chunk) => {
        for (const key of parseKeys(chunk)) this.key(key);
        this.draw();
      },
      () => this.draw(),
    );
    this.draw();
    void this.read();
    this.timer = setInterval(() => void this.read(), this.options.refreshMs);
    return done;
  }

  quit(code = 0): void {
    clearInterval(this.timer);
    this.screen.restore();
    this.finish?.(code);
  }

  /** Reads the page's data (one read at a time: one asked for meanwhile follows), then draws. */
  private async read(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    const page = this.page;
    try {
      if (page.kind === 'dashboard') this.takeOverview(await this.source.overview());
      else if (page.kind === 'run') this.view = await this.source.run(page.runId);
      else await page.tail.read();
      if (this.message?.style === 'red' && this.message.text.startsWith('cannot read')) this.message = undefined;
    } catch (err) {
      this.message = { text: `cannot read ${this.source.where}: ${describe(err)} (trying again)`, style: 'red' };
    } finally {
      this.reading = false;
    }
    this.draw();
    if (this.again) {
      this.again = false;
      void this.read();
    }
  }

  private takeOverview(overview: Overview): void {
    this.overview = overview;
    const listed = listedRuns(overview);
    const at = this.runSelId === undefined || !this.moved ? -1 : listed.findIndex((run) => run.runId === this.runSelId);
    this.runSel = at >= 0 ? at : Math.max(0, Math.min(this.runSel, listed.length - 1));
    this.runSelId = listed[this.runSel]?.runId;
  }

  private key(key: Key): void {
    if (key === 'ctrl-c' || (key === 'q' && this.confirm === undefined)) return this.quit(0);
    if (this.confirm !== undefined) return this.answerConfirm(key);
    if (key === '?') {
      this.help = !this.help;
      return;
    }
    this.message = undefined;
    const page = this.page;
    if (page.kind === 'logs') return this.logKey(page, key);
    if ((key === 'escape' || key === 'backspace') && page.kind === 'run') return this.go({ kind: 'dashboard' });
    const step = this.step(key);
    if (page.kind === 'dashboard') {
      const listed = this.overview ? listedRuns(this.overview) : [];
      if (step !== undefined) {
        this.runSel = Math.max(0, Math.min(listed.length - 1, step(this.runSel, listed.length)));
        this.runSelId = listed[this.runSel]?.runId;
        this.moved = true;
      }
      const run = listed[this.runSel];
      if (run === undefined) return;
      if (key === 'enter') {
        this.taskSel = 0;
        this.view = undefined;
        return this.go({ kind: 'run', runId: run.runId });
      }
      if (key === 'l') return this.go({ kind: 'logs', tail: new LogTail(this.source, run.runId, undefined), back: page });
      if (key === 'c') return this.ask(run.runId, run.workflow, run.status);
      return;
    }
    const tasks = this.view?.run_id === page.runId ? this.view.tasks : [];
    if (step !== undefined) this.taskSel = Math.max(0, Math.min(tasks.length - 1, step(this.taskSel, tasks.length)));
    const task = tasks[this.taskSel];
    if ((key === 'l' || key === 'enter') && task) return this.go({ kind: 'logs', tail: new LogTail(this.source, page.runId, task.id), back: page });
    if (key === 'c' && this.view) return this.ask(this.view.run_id, this.view.workflow.name, this.view.status);
  }

  /** How a movement key moves a selection among `n` rows; undefined for other keys. */
  private step(key: Key): ((at: number, n: number) => number) | undefined {
    const pageRows = Math.max(1, this.screen.rows - 6);
    switch (key) {
      case 'up':
      case 'k':
        return (at) => at - 1;
      case 'down':
      case 'j':
        return (at) => at + 1;
      case 'pageup':
        return (at) => at - pageRows;
      case 'pagedown':
        return (at) => at + pageRows;
      case 'home':
        return () => 0;
      case 'end':
        return (_at, n) => n - 1;
      default:
        return undefined;
    }
  }

  private logKey(page: Extract<Page, { kind: 'logs' }>, key: Key): void {
    const rows = this.bodyRows(1);
    if (key === 'escape' || key === 'backspace') return this.go(page.back);
    if (key === 'up' || key === 'k') page.tail.scrollBy(1, rows);
    else if (key === 'down' || key === 'j') page.tail.scrollBy(-1, rows);
    else if (key === 'pageup') page.tail.scrollBy(rows, rows);
    else if (key === 'pagedown') page.tail.scrollBy(-rows, rows);
    else if (key === 'home') page.tail.scrollBy(page.tail.lines.length, rows);
    else if (key === 'end' || key === 'G') page.tail.scroll = 0;
  }

  private go(page: Page): void {
    this.page = page;
    void this.read();
  }

  private ask(runId: string, workflow: string, status: string): void {
    if (status === 'succeeded' || status === 'failed' || status === 'cancelled') {
      this.message = { text: `run ${runId} already ${status}: nothing to cancel`, style: 'yellow' };
      return;
    }
    this.confirm = { runId, workflow };
  }

  private answerConfirm(key: Key): void {
    const asked = this.confirm!;
    this.confirm = undefined;
    if (key !== 'y' && key !== 'Y') {
      this.message = { text: `run ${asked.runId} not cancelled`, style: 'dim' };
      return;
    }
    this.message = { text: `cancelling run ${asked.runId}…`, style: 'yellow' };
    this.source.cancel(asked.runId, 'cancelled with baton monitor').then(
      (how) => {
        if (how.how === 'requested') {
          const who = how.owner ? `pid ${how.owner.pid} on ${safe(how.owner.host)}` : 'the process driving it';
          this.message = { text: `asked ${who} to cancel run ${asked.runId}: its tasks stop and its cleanup runs`, style: 'yellow' };
        } else {
          this.message = { text: `run ${asked.runId} had nobody driving it: it is being cancelled (its cleanup runs)`, style: 'yellow' };
          void how.failed?.then((why) => {
            if (why !== undefined) this.message = { text: `cancelling run ${asked.runId} failed: ${safe(why)}`, style: 'red' };
            this.draw();
          });
        }
        void this.read();
      },
      (err: unknown) => {
        this.message = { text: `cannot cancel run ${asked.runId}: ${describe(err)}`, style: 'red' };
        this.draw();
      },
    );
  }

  /** Rows left for the page's body under the title and `head` lines, above the footer. */
  private bodyRows(head: number): number {
    return Math.max(1, this.screen.rows - 1 - head - this.footer(this.screen.columns, this.options.colors).length);
  }

  /** The message line, then the keys of the page (all of them, wrapped, after `?`). */
  private footer(width: number, c: Colors): string[] {
    const keys = this.help ? wrap(HELP, width).map((line) => fit([[line, 'dim']], width, c)) : [fit([[KEYS[this.page.kind], 'dim']], width, c)];
    return [this.footerMessage(width, c), ...keys];
  }

  private draw(): void {
    const width = this.screen.columns;
    const c = this.options.colors;
    const title = fit([['baton monitor', 'bold'], '  ', [safe(this.source.where), 'dim'], '  ', [new Date().toLocaleTimeString(), 'dim']], width, c);
    let head: string[] = [];
    let body: Body = { lines: [] };
    const page = this.page;
    if (page.kind === 'dashboard') {
      if (this.overview) {
        head = [countsLine(this.overview, width, c)];
        body = dashboardBody(this.overview, this.runSel, width, c);
      } else body = { lines: [fit([['reading…', 'dim']], width, c)] };
    } else if (page.kind === 'run') {
      if (this.view?.run_id === page.runId) {
        this.taskSel = Math.max(0, Math.min(this.taskSel, this.view.tasks.length - 1));
        head = runHead(this.view, width, c);
        body = runBody(this.view, this.taskSel, width, c);
      } else body = { lines: [fit([[`reading run ${page.runId}…`, 'dim']], width, c)] };
    } else {
      head = [page.tail.title(width, c)];
      body = page.tail.body(this.bodyRows(head.length), width, c);
    }
    const rows = this.bodyRows(head.length);
    const shown = page.kind === 'logs' ? body.lines : this.window(page.kind, body, rows);
    const footer = this.footer(width, c);
    const filler = Array<string>(Math.max(0, rows - shown.length)).fill('');
    this.screen.draw([title, ...head, ...shown, ...filler, ...footer]);
  }

  /** The body's lines that fit, scrolled so the selected one shows. */
  private window(kind: 'dashboard' | 'run', body: Body, rows: number): string[] {
    let top = this.top[kind];
    const at = body.selectedLine;
    if (at !== undefined) {
      if (at < top) top = at;
      if (at >= top + rows) top = at - rows + 1;
    }
    top = Math.max(0, Math.min(top, body.lines.length - rows));
    this.top[kind] = top;
    return body.lines.slice(top, top + rows);
  }

  private footerMessage(width: number, c: Colors): string {
    if (this.confirm) return fit([[`Cancel run ${shortId(this.confirm.runId)} ${safe(this.confirm.workflow)}? y/n`, 'bold']], width, c);
    if (this.message) return fit([[this.message.text, this.message.style]], width, c);
    return '';
  }
}

function describe(err: unknown): string {
  if (err instanceof BatonError) return `${safe(err.message.split('\n')[0])} [${err.code}]`;
  return safe(err instanceof Error ? err.message : String(err));
}
