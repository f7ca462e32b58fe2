/**
 * Where `baton monitor` reads what it shows, and sends what it is asked to do: a store
 * opened here (StoreSource), or a `baton serve` over its API (monitor-remote.ts). Both
 * answer with the same documents: the overview (overview.ts), a run as `baton status
 * --json` has it, and its output a page at a time (log-pages.ts), so the screen does not
 * know which it talks to.
 */
import { localUser } from '../access/principal.js';
import { audited } from '../access/audit.js';
import { requestCancel } from '../engine/resume.js';
import { isOwnerGone } from '../store/ownership.js';
import { runNotFound } from '../store/errors.js';
import type { Store } from '../store/store.js';
import { launchBaton } from './launch.js';
import { readLogPage, type LogTextPage } from './log-pages.js';
import { OverviewReader, type Overview, type OverviewOptions } from './overview.js';
import type { StatusJson } from './run-view.js';
import { snapshotter } from './views.js';

export interface MonitorSource {
  /** What it reads, for the header: `store <file>` or `server <url>`. */
  readonly where: string;
  overview(): Promise<Overview>;
  /** A run and its tasks, as `baton status --json` prints it; `runId` in full. */
  run(runId: string): Promise<StatusJson>;
  /**
   * A page of the run's output (or one task's), lines prefixed as `baton logs` prints them:
   * its last LOG_PAGE_BYTES when `offset` is undefined, else what was written after it
   * (an earlier page's `next`).
   */
  logs(runId: string, query: { task?: string; offset?: string }): Promise<LogTextPage>;
  /** Cancels a run that has not ended (RUN_FINISHED for one that has). */
  cancel(runId: string, reason: string): Promise<CancelAsked>;
  close(): Promise<void>;
}

/**
 * How a cancel went: the process driving the run was asked (it stops the tasks and runs
 * the cleanup within a second or so), or nobody drove it and it is being cancelled
 * elsewhere (a `baton cancel` started in the background here, or the server); `failed`
 * then resolves with why that failed, or undefined once it is done.
 */
export type CancelAsked = { how: 'requested'; owner?: { host: string; pid: number } } | { how: 'cancelling'; failed?: Promise<string | undefined> };

/** The most bytes of output a page holds: the logs view shows the end of it. */
export const LOG_PAGE_BYTES = 64 * 1024;

export interface StoreSourceOptions extends OverviewOptions {
  /** The `--store` given, passed on to the `baton cancel` started for a run nobody drives; default none (the same default store). */
  storeFlag?: string;
  /**
   * The store did not exist yet and was opened empty (a reader leaves no trace): asked at
   * each read until it gives the store, once a first run has created it, which then
   * replaces the empty one. Default: the store given is the store.
   */
  appears?: () => Promise<Store | undefined>;
}

/** A store opened by this process: read directly, closed with the source. */
export class StoreSource implements MonitorSource {
  readonly where: string;
  private reader: OverviewReader;
  /** The run shown now, read incrementally while it stays open. */
  private open?: { runId: string; look: () => Promise<StatusJson> };

  constructor(
    private store: Store,
    private readonly options: StoreSourceOptions = {},
  ) {
    this.where = `store ${store.location}`;
    this.reader = new OverviewReader(store, options);
  }

  async overview(): Promise<Overview> {
    if (this.options.appears) {
      const created = await this.options.appears();
      if (created) {
        delete this.options.appears;
        const empty = this.store;
        this.store = created;
        this.reader = new OverviewReader(created, this.options);
        this.open = undefined;
        await empty.close();
      }
    }
    return this.reader.read();
  }

  run(runId: string): Promise<StatusJson> {
    if (this.open?.runId !== runId) this.open = { runId, look: snapshotter(this.store, runId) };
    return this.open.look();
  }

  logs(runId: string, query: { task?: string; offset?: string }): Promise<LogTextPage> {
    return readLogPage(this.store.logs, runId, { ...query, limitBytes: LOG_PAGE_BYTES });
  }

  async cancel(runId: string, reason: string): Promise<CancelAsked> {
    const record = await this.store.runs.getRun(runId);
    if (record === undefined) throw runNotFound(runId);
    if (record.ended_at === undefined && isOwnerGone(record)) return this.cancelInBackground(runId, reason);
    const owner = await audited(this.store, localUser(), { action: 'run.cancel', target: runId, detail: { reason } }, () => requestCancel(this.store.runs, runId, reason));
    // Its owner died between the two looks.
    if (owner === undefined) return this.cancelInBackground(runId, reason);
    return { how: 'requested', owner: { host: owner.host, pid: owner.pid } };
  }

  /**
   * Nobody drives the run: `baton cancel` cancels it (runs its cleanup) in a process of its
   * own, as `baton mcp` does, so the screen stays live meanwhile and the cancel goes on
   * after the monitor quits. That command records the audit entry.
   */
  private cancelInBackground(runId: string, reason: string): CancelAsked {
    const store = this.options.storeFlag === undefined ? [] : ['--store', this.options.storeFlag];
    const launched = launchBaton(['cancel', runId, '--reason', reason, ...store]);
    const failed = launched.exited.then((code) => {
      const { stderr } = launched.output(4096);
      launched.release();
      if (code === 0) return undefined;
      return stderr.trim().split('\n').at(-1) || `baton cancel ${runId} exited ${code}`;
    });
    return { how: 'cancelling', failed };
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
