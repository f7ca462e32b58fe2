/**
 * The store at a glance, for `baton monitor` and `GET /api/overview`: how many runs run,
 * wait, sit in the queue and failed lately; the unfinished runs with the tasks running in
 * each (their reported progress, a loop's iterations ended of all); the runs that ended
 * last; the workers and their queue.
 *
 * It must stay light on a store of 100,000 runs, read every half second: the counts come
 * from the store's indexes (RunStore.countRuns), only unfinished runs and the last few
 * that ended are read, and each unfinished run's events are read once, as they come (a
 * RunDigest per run, fed from where it stopped), for what the task rows do not say (which
 * task is a loop, which is inside which); its task rows are read again only when it has
 * new events. A run that ended is read once too, when it first shows.
 */
import type { TaskStatus } from '../store/events.js';
import { displayStatus } from '../store/ownership.js';
import type { RunRecord, Store, TaskRecord } from '../store/store.js';
import { countTasks, RunDigest, runJson, taskJson, type RunJson, type TaskJson } from './run-view.js';
import { queuePlaces } from './queue-wait.js';
import type { ProgressJson } from './progress-json.js';

export interface OverviewOptions {
  /** Only this namespace's runs; default every namespace's. */
  namespace?: string;
  /** Unfinished runs listed, at most; default 50. */
  active?: number;
  /** Runs that ended listed, the latest end first; default 10. */
  recent?: number;
}

/** `GET /api/overview`'s document. Fields are only ever added. */
export interface Overview {
  /** When it was read. */
  at: string;
  counts: OverviewCounts;
  /** Unfinished runs: running (newest first), then interrupted, waiting and queued (in queue order). */
  active: ActiveRun[];
  /** Runs that ended, the latest end first. */
  recent: EndedRun[];
}

export interface OverviewCounts {
  /** Runs running or pending whose process is alive. */
  running: number;
  /** Runs running or pending whose process is gone (`baton resume` them). */
  interrupted: number;
  waiting: number;
  queued: number;
  /** Runs that failed within the last hour, and the last 24 hours (by when they ended). */
  failed_1h: number;
  failed_24h: number;
  /** `baton worker`s seen within the last 10 seconds. */
  workers: number;
  /** Tasks waiting for a worker, and running on one (every queue). */
  queue: { ready: number; claimed: number };
}

/** An unfinished run (its `history --json` fields) with what runs in it now. */
export interface ActiveRun extends RunJson {
  /** Its tasks running, retrying or waiting (activeTasks); at most ACTIVE_TASKS. */
  tasks: ActiveTask[];
  /** How many more such tasks it has than are listed. */
  more_tasks?: number;
}

export interface ActiveTask {
  id: string;
  type?: string;
  status: TaskStatus;
  attempts: number;
  /** Running time of its attempts so far. */
  elapsed_ms?: number;
  /**
   * What the task last reported of its progress (`progress=NN` in $BATON_OUTPUT,
   * ctx.progress), or a loop's iterations ended of all, with the time left at that rate:
   * as `baton status --json` has it (runs/progress-json.ts).
   */
  progress?: ProgressJson;
}

/** A run that ended, with the task that failed it. */
export interface EndedRun extends RunJson {
  /** The first task that failed (by the order of the run's tasks), and why. */
  failed_task?: { id: string; code?: string; message?: string };
}

/** Tasks listed per unfinished run. */
export const ACTIVE_TASKS = 8;
/** Running and pending runs read, at most, to tell live ones from interrupted ones. */
const UNFINISHED_SCAN = 1000;
/** A worker silent this long is not counted: it reports every 2 s. */
const WORKER_LIVE_MS = 10_000;
const HOUR = 3_600_000;

const LIVE: ReadonlySet<TaskStatus> = new Set(['running', 'retrying', 'waiting']);

/**
 * Reads overviews of one store (one namespace of it), keeping what it read of each run
 * for the next read. Reads are taken one at a time: two callers at once share nothing half-done.
 */
export class OverviewReader {
  /** Each unfinished run shown: its events folded so far, and its task rows as of that event. */
  private readonly live = new Map<string, { digest: RunDigest; rows?: { seq: number; rows: TaskRecord[] } }>();
  private readonly ended = new Map<string, { key: string; view: EndedRun }>();
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly options: OverviewOptions = {},
  ) {}

  read(now?: number): Promise<Overview> {
    const next = this.last.then(() => this.readNow(now ?? Date.now()));
    this.last = next.catch(() => undefined);
    return next;
  }

  private async readNow(now: number): Promise<Overview> {
    const { store } = this;
    const namespace = this.options.namespace;
    const active = Math.max(0, this.options.active ?? 50);
    const [counted, unfinished, ended, workers] = await Promise.all([
      store.runs.countRuns({ ...(namespace === undefined ? {} : { namespace }), failedSince: [now - HOUR, now - 24 * HOUR] }),
      this.unfinished(active),
      store.runs.listEnded({ ...(namespace === undefined ? {} : { namespace }), limit: Math.max(0, this.options.recent ?? 10) }),
      store.work.workers(WORKER_LIVE_MS),
    ]);
    // Once per run: telling whether a run's process lives reads /proc.
    const shownAs = new Map(unfinished.map((run) => [run.id, displayStatus(run, now)]));
    const interrupted = unfinished.filter((run) => shownAs.get(run.id) === 'interrupted').length;
    const places = unfinished.some((run) => run.status === 'queued') ? await queuePlaces(store) : undefined;
    const shown = order(unfinished, shownAs, places).slice(0, active);
    const counts: OverviewCounts = {
      running: Math.max(0, counted.running + counted.pending - interrupted),
      interrupted,
      waiting: counted.waiting,
      queued: counted.queued,
      failed_1h: counted.failed[0],
      failed_24h: counted.failed[1],
      workers: workers.filter((w) => namespace === undefined || w.namespaces === undefined || w.namespaces.includes(namespace)).length,
      queue: await this.queue(),
    };
    const activeRuns: ActiveRun[] = [];
    for (const record of shown) activeRuns.push(await this.activeRun(record, now, places?.get(record.id)));
    for (const id of this.live.keys()) if (!shown.some((run) => run.id === id)) this.live.delete(id);
    const recent: EndedRun[] = [];
    for (const record of ended) recent.push(await this.endedRun(record, now));
    for (const id of this.ended.keys()) if (!ended.some((run) => run.id === id)) this.ended.delete(id);
    return { at: new Date(now).toISOString(), counts, active: activeRuns, recent };
  }

  /** Work items waiting for a worker and running on one, of every queue (of the namespace's runs only, for one namespace). */
  private async queue(): Promise<OverviewCounts['queue']> {
    const out = { ready: 0, claimed: 0 };
    for (const q of await this.store.work.depth(this.options.namespace)) {
      out.ready += q.ready;
      out.claimed += q.claimed;
    }
    return out;
  }

  /** The unfinished runs: every running and pending one (up to UNFINISHED_SCAN), and as many waiting and queued as can be shown. */
  private async unfinished(active: number): Promise<RunRecord[]> {
    const namespace = this.options.namespace === undefined ? {} : { namespace: this.options.namespace };
    const lists = await Promise.all([
      this.store.runs.listRuns({ ...namespace, status: 'running', limit: UNFINISHED_SCAN }),
      this.store.runs.listRuns({ ...namespace, status: 'pending', limit: UNFINISHED_SCAN }),
      this.store.runs.listRuns({ ...namespace, status: 'waiting', limit: active }),
      this.store.runs.listRuns({ ...namespace, status: 'queued', limit: active }),
    ]);
    return lists.flat();
  }

  private async activeRun(record: RunRecord, now: number, position: number | undefined): Promise<ActiveRun> {
    let known = this.live.get(record.id);
    if (known === undefined) this.live.set(record.id, (known = { digest: new RunDigest() }));
    const digest = known.digest;
    digest.apply(await this.store.runs.readEvents(record.id, digest.seq));
    // The task rows are a fold of the events: no new event, the same rows.
    if (known.rows?.seq !== digest.seq) known.rows = { seq: digest.seq, rows: await this.store.runs.listTasks(record.id) };
    const rows = known.rows.rows;
    const tasks = taskJson(rows, digest, now, record.id);
    const live = activeTasks(tasks);
    const run: ActiveRun = { ...runJson(record, countTasks(tasks), now, digest, position), tasks: live.slice(0, ACTIVE_TASKS) };
    if (live.length > ACTIVE_TASKS) run.more_tasks = live.length - ACTIVE_TASKS;
    return run;
  }

  /** A run that ended changes only when `baton retry` opens it again: it is read once per end. */
  private async endedRun(record: RunRecord, now: number): Promise<EndedRun> {
    const key = `${record.ended_at}:${record.updated_at}:${record.status}`;
    const known = this.ended.get(record.id);
    if (known?.key === key) return known.view;
    const rows = await this.store.runs.listTasks(record.id);
    const view: EndedRun = runJson(record, countTasks(rows), now);
    const failed = rows.find((row) => row.status === 'failed');
    if (failed) view.failed_task = { id: failed.key, ...(failed.error ? { code: failed.error.code, message: failed.error.message.split('\n')[0] } : {}) };
    this.ended.set(record.id, { key, view });
    return view;
  }
}

/** Live runs first (newest first), then interrupted ones, then waiting, then queued (in queue order). */
function order(runs: RunRecord[], shownAs: ReadonlyMap<string, string>, places: Map<string, number> | undefined): RunRecord[] {
  const rank = (run: RunRecord): number => {
    const status = shownAs.get(run.id);
    return status === 'running' || status === 'pending' ? 0 : status === 'interrupted' ? 1 : status === 'waiting' ? 2 : 3;
  };
  const newestFirst = (a: RunRecord, b: RunRecord) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1);
  return [...runs].sort((a, b) => rank(a) - rank(b) || (a.status === 'queued' && b.status === 'queued' ? (places?.get(a.id) ?? 0) - (places?.get(b.id) ?? 0) : 0) || newestFirst(a, b));
}

/**
 * The tasks running (or retrying, or waiting) in a run: leaf tasks, and loops with their
 * iterations ended of all; a parallel or conditional is only the sum of what is inside it.
 * Loops come first, then the leaves in the run's task order.
 */
export function activeTasks(tasks: readonly TaskJson[]): ActiveTask[] {
  const out: ActiveTask[] = [];
  for (const task of tasks) {
    if (!LIVE.has(task.status)) continue;
    if (task.type === 'parallel' || task.type === 'conditional') continue;
    const one: ActiveTask = { id: task.id, ...(task.type === undefined ? {} : { type: task.type }), status: task.status, attempts: task.attempts };
    if (task.elapsed_ms !== undefined) one.elapsed_ms = task.elapsed_ms;
    if (task.progress !== undefined) one.progress = task.progress;
    out.push(one);
  }
  // Loops first: their line sums up the iterations listed after it.
  return [...out.filter((t) => t.type === 'loop'), ...out.filter((t) => t.type !== 'loop')];
}
