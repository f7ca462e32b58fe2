/**
 * The long-running side of baton (`baton serve`): the workflows of a folder, loaded and
 * kept by name; runs started by name (recorded at once, driven in this process); on start,
 * the interrupted runs of the store taken over; on stop, every drive interrupted, so the
 * next start resumes what was left. The HTTP API (api.ts) is one front end over it.
 */
import path from 'node:path';
import { createRun, type DriveOptions } from '../engine/runner.js';
import { continueStoredRun, requestCancel, type ContinueMode } from '../engine/resume.js';
import { answerApproval, answeredBy, type Delivered } from '../engine/steps/answer.js';
import { emitAndRecord } from '../runs/emit.js';
import { BatonError } from '../observability/errors.js';
import { loadDefinition, type LoadedWorkflow, type WorkflowProblem } from '../runs/definition.js';
import { driveExtras } from '../runs/drive-options.js';
import { sourceChangeNote } from '../runs/source-change.js';
import type { RunState } from '../engine/state.js';
import { findWorkflowFiles } from '../runs/workflow-files.js';
import { watchFolders, type FolderWatch } from '../runs/folder-watch.js';
import { didYouMean } from '../spec/suggest.js';
import type { RequestOrigin, RunStatus, RunTrigger } from '../store/events.js';
import { checkSchedule, schedulesOf } from '../triggers/schedule.js';
import { EventFeed } from './event-feed.js';
import { Schedules } from './schedules.js';
import { TriggerHub } from './trigger-hub.js';
import { TimerWatch } from './timer-watch.js';
import { QueuePump, serverAdmission } from './queue.js';
import { displayStatus, isOwnerGone } from '../store/ownership.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import type { RunOwner, Store } from '../store/store.js';

export interface DaemonOptions {
  store: Store;
  /** The folder of workflow files. */
  workflowsDir: string;
  owner: RunOwner;
  /** A line for the daemon's log (stderr). */
  log: (line: string) => void;
  /** The server listens on loopback only (then webhooks may be unsigned); default true. */
  loopbackOnly?: boolean;
  /** Most runs running at once over the store (--max-running, server.max_running); default no limit. */
  maxRunning?: number;
}

/** Files whose change may change a served workflow (code workflows import their neighbours). */
const WORKFLOW_FILE = /\.(ya?ml|json|[cm]?[jt]s)$/i;

/** Unfinished runs looked at on start, at most (they are few: interrupted or waiting ones). */
const TAKE_OVER_SCAN = 10_000;

export class Daemon {
  readonly workflows = new Map<string, LoadedWorkflow>();
  problems: WorkflowProblem[] = [];
  private readonly drives = new Map<string, Promise<void>>();
  private readonly interrupt = new AbortController();
  private readonly extras: Pick<DriveOptions, 'programs' | 'loadCode' | 'skills' | 'resources'> = driveExtras();
  private stopping = false;
  readonly hub: TriggerHub;
  readonly schedules: Schedules;
  readonly feed: EventFeed;
  /** Starts queued runs in their turn (server/queue.ts). */
  readonly queue: QueuePump;

  constructor(private readonly options: DaemonOptions) {
    const host = { store: options.store, workflows: this.workflows, start: this.start.bind(this), log: options.log };
    this.hub = new TriggerHub(host);
    this.schedules = new Schedules(host, this.hub);
    this.feed = new EventFeed(host, this.hub);
    this.queue = new QueuePump({
      store: options.store,
      limits: this.limits,
      log: options.log,
      drive: (runId) => this.drive(runId, { kind: 'start' }),
      isDriving: (runId) => this.drives.has(runId),
      stopping: () => this.stopping,
    });
  }

  /** The global limit this server admits runs under. */
  get limits(): { maxRunning?: number } {
    return this.options.maxRunning === undefined ? {} : { maxRunning: this.options.maxRunning };
  }

  get store(): Store {
    return this.options.store;
  }

  /** The folder of workflow files served. */
  get workflowsDir(): string {
    return this.options.workflowsDir;
  }

  get loopbackOnly(): boolean {
    return this.options.loopbackOnly ?? true;
  }

  log(line: string): void {
    this.options.log(line);
  }

  /** Runs this process drives now. */
  get driving(): string[] {
    return [...this.drives.keys()];
  }

  /**
   * Reloads the folder when a file in it changes (the folders the scan walks, each watched:
   * runs/folder-watch.ts, not .baton or node_modules; changes within `debounceMs` are taken
   * together). A file that stops loading keeps its last good version, served as before, and
   * the problem is shown by the API and the log.
   */
  watchWorkflows(debounceMs = 200): void {
    let timer: NodeJS.Timeout | undefined;
    let watcher: FolderWatch;
    try {
      watcher = watchFolders(
        this.options.workflowsDir,
        (file) => {
          // Only what can be a workflow: a run's own output or data files change nothing here.
          if (!WORKFLOW_FILE.test(file)) return;
          clearTimeout(timer);
          timer = setTimeout(() => void this.loadWorkflows({ keepLastGood: true }).catch((err: unknown) => this.options.log(`reloading: ${String(err)}`)), debounceMs);
        },
        (message) => this.options.log(message),
      );
    } catch (err) {
      this.options.log(`not watching ${this.options.workflowsDir} for changes: ${(err as Error).message}`);
      return;
    }
    this.interrupt.signal.addEventListener('abort', () => watcher.close(), { once: true });
    const stopTimers = this.stopTimers;
    this.stopTimers = () => {
      stopTimers();
      clearTimeout(timer);
      watcher.close();
    };
  }

  /**
   * Loads every workflow of the folder. A file that does not load is kept as a problem
   * (shown by the API); two files with one name: the first (by path) wins, the other is a
   * problem. With `keepLastGood`, a workflow whose file no longer loads stays as it was.
   */
  async loadWorkflows(options: { keepLastGood?: boolean } = {}): Promise<void> {
    const dir = this.options.workflowsDir;
    const scan = findWorkflowFiles(dir);
    const workflows = new Map<string, LoadedWorkflow>();
    const problems: WorkflowProblem[] = [];
    const skills = this.extras.skills?.lookup();
    for (const found of scan.files) {
      const file = path.join(dir, found.file);
      try {
        const loaded = await loadDefinition(file, skills, this.extras.resources);
        if ('problem' in loaded) {
          problems.push(loaded.problem);
          continue;
        }
        for (const schedule of schedulesOf(loaded.workflow)) checkSchedule(schedule);
        const earlier = workflows.get(loaded.name);
        if (earlier) {
          problems.push({ file, message: `workflow ${loaded.name} is also defined in ${earlier.file}, which is the one started by that name: rename one of them` });
          continue;
        }
        workflows.set(loaded.name, loaded);
      } catch (err) {
        problems.push({ file, message: err instanceof Error ? err.message : String(err) });
      }
    }
    if (options.keepLastGood) {
      for (const [name, kept] of this.workflows) {
        const broken = problems.find((p) => p.file === kept.file);
        if (broken && !workflows.has(name)) {
          workflows.set(name, kept);
          broken.message += ` (its last good version is still served)`;
        }
      }
    }
    const before = versions(this.workflows);
    this.workflows.clear();
    for (const [name, loaded] of workflows) this.workflows.set(name, loaded);
    this.problems = problems;
    // Triggers restart only when a workflow changed: a file watch restarted would drop the changes it was gathering.
    if (!this.stopping && versions(this.workflows) !== before) {
      await this.schedules.restart();
      this.hub.watchFiles();
    }
    this.options.log(`loaded ${workflows.size} workflow${workflows.size === 1 ? '' : 's'} from ${dir}${problems.length > 0 ? `; ${problems.length} file${problems.length === 1 ? '' : 's'} with problems` : ''}`);
    for (const problem of problems) this.options.log(`${problem.file}: ${problem.message}`);
  }

  /** The workflow named `name`; WORKFLOW_NOT_FOUND (with a near name) when the folder has none. */
  workflow(name: string): LoadedWorkflow {
    const loaded = this.workflows.get(name);
    if (loaded) return loaded;
    const broken = this.problems.find((p) => path.basename(p.file).replace(/\.[^.]+$/, '') === name);
    const why = broken ? `: ${broken.file} has problems (${broken.message})` : didYouMean(name, [...this.workflows.keys()]);
    throw new BatonError('WORKFLOW_NOT_FOUND', `no workflow ${name} in ${this.options.workflowsDir}${why}`, { details: { workflow: name } });
  }

  /**
   * Records a new run of the workflow `name` and starts driving it, or queues it (its
   * concurrency key or the global limit is full); returns its id at once. Inputs are
   * checked first: a run that cannot start is never recorded. `priority`: its place among
   * queued runs (higher first; default 0).
   */
  async start(name: string, inputs: Record<string, unknown>, origin: RequestOrigin = 'api', trigger?: RunTrigger, priority?: number): Promise<string> {
    return (await this.launch(name, inputs, origin, trigger, priority)).runId;
  }

  /** start(), with the new run's status: `pending` (it starts now), `queued`, or `cancelled` (skipped). */
  async launch(name: string, inputs: Record<string, unknown>, origin: RequestOrigin = 'api', trigger?: RunTrigger, priority?: number): Promise<{ runId: string; status: RunStatus }> {
    if (this.stopping) throw new BatonError('SERVER_STOPPING', 'the server is stopping and takes no new runs: start it again, or use another one');
    const loaded = this.workflow(name);
    const { runId, state } = await createRun({
      store: this.store,
      workflow: loaded.workflow,
      ...(loaded.code ? { code: loaded.code } : {}),
      source: { file: loaded.file, sha256: loaded.sha256 },
      baseDir: path.dirname(loaded.file),
      inputs,
      origin,
      ...(trigger !== undefined ? { trigger } : {}),
      admission: serverAdmission(this.limits, priority),
    });
    if (state.status === 'pending') this.drive(runId, { kind: 'start' });
    else if (state.status === 'queued') await this.queued(runId);
    else this.options.log(`run ${runId} ${name}: ${state.status}${state.cancelReason ? ` (${state.cancelReason})` : ''}`);
    return { runId, status: state.status };
  }

  /** A run this server recorded queued: said in the log; on_conflict: cancel-running asks the runs holding its key to cancel. */
  private async queued(runId: string): Promise<void> {
    const events = await this.store.runs.readEvents(runId);
    const queued = events.findLast((event) => event.type === 'RunQueued');
    if (queued?.type !== 'RunQueued') return;
    this.options.log(`run ${runId}: queued (${queued.reason === 'max_running' ? 'the most runs allowed are running' : `concurrency key ${queued.key} is full`})`);
    for (const holder of queued.cancelling ?? []) {
      await this.cancel(holder, `cancelled for run ${runId} (concurrency key ${queued.key}, on_conflict: cancel-running)`).catch((err: unknown) =>
        this.options.log(`run ${holder}: could not cancel it for run ${runId}: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
    // A holder nobody drove may have ended already.
    this.queue.poke();
  }

  /** Takes over the store's interrupted runs (their process is gone), each driven here. */
  async takeOver(): Promise<number> {
    let taken = 0;
    for (const status of ['running', 'pending'] as const) {
      for (const record of await this.store.runs.listRuns({ status, limit: TAKE_OVER_SCAN })) {
        if (displayStatus(record) !== 'interrupted' || this.drives.has(record.id)) continue;
        this.drive(record.id, { kind: 'resume' });
        taken++;
      }
    }
    if (taken > 0) this.options.log(`took over ${taken} interrupted run${taken === 1 ? '' : 's'}`);
    return taken;
  }

  /**
   * Goes on with a stored run here (resume, retry, cancel of a run nobody drives):
   * resolves once the run is claimed and checked, and rejects with why when it is refused
   * (RUN_FINISHED, RUN_NOT_FINISHED, RUN_HELD...); the run then goes on in the background.
   */
  async act(runId: string, mode: ContinueMode): Promise<void> {
    if (this.stopping) throw new BatonError('SERVER_STOPPING', 'the server is stopping and takes no new work: start it again, or use another one');
    const current = this.drives.get(runId);
    if (current) {
      // A drive here that is letting go of a run that ended (or now waits) is waited for; one still driving it holds it.
      const record = await this.store.runs.getRun(runId);
      if (record && !FINISHED_RUN_STATUSES.has(record.status) && record.status !== 'waiting') {
        throw new BatonError('RUN_HELD', `run ${runId} is being driven by this server already`, { details: { run: runId } });
      }
      await current;
    }
    return new Promise((resolve, reject) => this.drive(runId, mode, { loaded: resolve, refused: reject }));
  }

  /** Cancels a run: one this server (or another live process) drives is asked to; one nobody drives is cancelled here. */
  async cancel(runId: string, reason: string): Promise<'requested' | 'cancelling'> {
    const owner = await requestCancel(this.store.runs, runId, reason);
    if (owner !== undefined) return 'requested';
    await this.act(runId, { kind: 'cancel', reason });
    return 'cancelling';
  }

  /**
   * Delivers an event to the waits open for it (runs nobody drives go on here), and
   * records it for the event triggers, which fire at once.
   */
  async emit(name: string, data: unknown, runId?: string): Promise<Delivered[]> {
    const reached = await emitAndRecord(this.store, name, data, runId, 'api');
    for (const one of reached) if (one.continueHere) this.goOn(one.runId);
    this.feed.poke();
    return reached;
  }

  /** Answers an approval; a run nobody drives goes on here. */
  async approve(runId: string, task: string | undefined, answer: { approved: boolean; comment?: string }): Promise<Delivered> {
    const delivered = await answerApproval(this.store.runs, runId, task, { ...answer, by: answeredBy(), origin: 'api' });
    if (delivered.continueHere) this.goOn(delivered.runId);
    return delivered;
  }

  /**
   * Goes on with a run that nobody drives and that has something to go on with (an
   * answer). A drive of it here that is letting it go (it recorded the wait, and released
   * the run) is waited for first, so the answer is never left with nobody to take it up.
   */
  private goOn(runId: string): void {
    const current = this.drives.get(runId);
    if (current === undefined) return this.drive(runId, { kind: 'resume' });
    void current.then(async () => {
      const record = await this.store.runs.getRun(runId);
      if (record && !this.drives.has(runId) && !FINISHED_RUN_STATUSES.has(record.status) && isOwnerGone(record)) this.drive(runId, { kind: 'resume' });
    });
  }

  /**
   * Fires the store's due timers of runs nobody drives (server/timer-watch.ts): a waiting
   * run whose sleep or timeout came due goes on here, and a run whose retry or time limit
   * came due after its process died is taken over; each timer by one server of the store.
   */
  watchTimers(): void {
    const watch = new TimerWatch({
      store: this.store,
      owner: this.options.owner,
      log: this.options.log,
      isDriving: (runId) => this.drives.has(runId),
      goOn: (runId) => {
        if (!this.stopping && !this.drives.has(runId)) this.drive(runId, { kind: 'resume' });
      },
    });
    watch.start();
    this.interrupt.signal.addEventListener('abort', () => watch.stop(), { once: true });
    const stopOthers = this.stopTimers;
    this.stopTimers = () => {
      stopOthers();
      watch.stop();
    };
  }

  private stopTimers = () => {};

  /**
   * Starts the triggers: schedules (and, at start, the firings `missed: run-once` asks
   * for), event triggers reading the store's events and run ends, file watches.
   */
  async startTriggers(): Promise<void> {
    await this.schedules.catchUp();
    this.schedules.watch();
    await this.feed.start();
  }

  /** Drives a stored run in the background; its end (or why it stopped) goes to the log. */
  private drive(runId: string, mode: ContinueMode, told?: { loaded: () => void; refused: (err: unknown) => void }): void {
    let loaded = false;
    const onLoaded = (state: RunState) => {
      loaded = true;
      if (mode.kind !== 'start') {
        const note = sourceChangeNote(state);
        if (note !== undefined) this.options.log(`run ${runId}: ${note}`);
      }
      told?.loaded();
    };
    const options = { store: this.store, runId, owner: this.options.owner, interrupt: this.interrupt.signal, ...this.extras, origin: 'api' as const, onLoaded };
    const drive = continueStoredRun(options, mode).then(
      ({ state }) => this.options.log(`run ${runId} ${state.plan.workflow.name}: ${state.status}`),
      (err: unknown) => {
        if (!loaded && told) return told.refused(err);
        this.options.log(`run ${runId}: ${err instanceof BatonError ? `${err.message} [${err.code}]` : String(err)}`);
      },
    );
    this.drives.set(runId, drive);
    void drive.finally(() => {
      if (this.drives.get(runId) === drive) this.drives.delete(runId);
      // A run that ended (or now waits) may have freed a slot.
      this.queue.poke();
    });
  }

  /**
   * Stops taking runs; lets the runs it drives end within `graceMs`, then interrupts the
   * rest, which are left interrupted (recorded as such) for the next start to resume.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopTimers();
    this.queue.stop();
    this.schedules.stop();
    this.feed.stop();
    this.hub.stop();
    const all = () => Promise.all([...this.drives.values()]);
    if (this.drives.size > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
    }
    if (this.drives.size > 0) {
      this.options.log(`interrupting ${this.drives.size} run${this.drives.size === 1 ? '' : 's'}: the next start resumes ${this.drives.size === 1 ? 'it' : 'them'}`);
      this.interrupt.abort();
      await all();
    }
  }
}

/** What identifies the workflows served: each one's name, file and text. */
function versions(workflows: ReadonlyMap<string, LoadedWorkflow>): string {
  return [...workflows.values()].map((w) => `${w.name}\0${w.file}\0${w.sha256}`).join('\n');
}
