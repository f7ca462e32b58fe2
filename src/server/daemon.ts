/**
 * The long-running side of baton (`baton serve`): the workflows of a folder per namespace
 * (catalog.ts), loaded and kept by name; runs started by name (recorded at once, driven in
 * this process); on start,
 * the interrupted runs of the store taken over; on stop, every drive interrupted, so the
 * next start resumes what was left. The HTTP API (api.ts) is one front end over it.
 */
import path from 'node:path';
import { createRun } from '../engine/runner.js';
import { continueStoredRun, requestCancel, type ContinueMode } from '../engine/resume.js';
import { answerApproval, answeredBy, localAnswerer, resolvePaused, type Delivered } from '../engine/steps/answer.js';
import { emitAndRecord } from '../runs/emit.js';
import { BatonError } from '../observability/errors.js';
import { driveExtras } from '../runs/drive-options.js';
import { NoticeSender } from '../observability/notifications/sender.js';
import { projectChannels } from '../config/project-channels.js';
import { loadProject } from '../config/project.js';
import { namespaceSkillRoots, skillRoots as skillRootsOf } from '../skills/catalog.js';
import { sourceChangeNote } from '../runs/source-change.js';
import type { RunState } from '../engine/state.js';
import type { RequestOrigin, RunStatus, RunTrigger } from '../store/events.js';
import { Catalog } from './catalog.js';
import { answererOf, type Principal } from '../access/principal.js';
import { TimerWatch } from './timer-watch.js';
import { QueuePump, serverAdmission } from './queue.js';
import { displayStatus, isOwnerGone } from '../store/ownership.js';
import { FINISHED_RUN_STATUSES } from '../store/projection.js';
import type { RunOwner, Store } from '../store/store.js';

export interface DaemonOptions {
  store: Store;
  /** The folder of workflow files of the default namespace. */
  workflowsDir: string;
  /** The other namespaces served, each with its folder of workflows and of skills (server.namespaces in baton.config.yaml). */
  namespaces?: Readonly<Record<string, { workflows: string; skills?: readonly string[] }>>;
  owner: RunOwner;
  /** A line for the daemon's log (stderr). */
  log: (line: string) => void;
  /** The server listens on loopback only (then webhooks may be unsigned); default true. */
  loopbackOnly?: boolean;
  /** Most runs running at once over the store (--max-running, server.max_running); default no limit. */
  maxRunning?: number;
  /** Whoever started a run may not answer its approvals (server.separate_approvers): segregation of duties. */
  separateApprovers?: boolean;
  /** How long a run holds its idempotency key (idempotency.retention); default 24 h. */
  keyRetentionMs?: number;
}

/** A run asked for by name: in which namespace, by whom, how. */
export interface LaunchRequest {
  namespace: string;
  workflow: string;
  inputs: Record<string, unknown>;
  origin: RequestOrigin;
  /** As the audit trail names them; recorded in the run's RunCreated. */
  actor?: string;
  trigger?: RunTrigger;
  /** Its place among queued runs (higher first; default 0). */
  priority?: number;
  /**
   * Its idempotency key (engine/run-key.ts): when a run of the namespace holds it, that run
   * is the answer (Launched.existing) and nothing starts.
   */
  idempotency_key?: string;
  /** The new run's id (a trigger's firing names its run: trigger-hub.ts); default a new one. */
  runId?: string;
}

/** What a launch did: the run it recorded, with its status, or the run its idempotency key found. */
export interface Launched {
  runId: string;
  status: RunStatus;
  /** An earlier start with the same idempotency key made it: nothing was started. */
  existing?: boolean;
}

/** Unfinished runs looked at on start, at most (they are few: interrupted or waiting ones). */
const TAKE_OVER_SCAN = 10_000;

export class Daemon {
  /** The namespaces served, by name; `default` always. */
  readonly catalogs = new Map<string, Catalog>();
  private readonly drives = new Map<string, Promise<void>>();
  private readonly interrupt = new AbortController();
  private stopping = false;
  /** Starts queued runs in their turn (server/queue.ts). */
  readonly queue: QueuePump;

  constructor(private readonly options: DaemonOptions) {
    const folders: Array<[string, string]> = [['default', options.workflowsDir], ...Object.entries(options.namespaces ?? {}).filter(([name]) => name !== 'default').map(([name, entry]): [string, string] => [name, entry.workflows])];
    for (const [namespace, dir] of folders) {
      // The default namespace's skills are the project's; another's its own (skills/catalog.ts).
      const skillRoots = namespace === 'default' ? () => skillRootsOf(loadProject()) : () => namespaceSkillRoots(namespace, dir, options.namespaces?.[namespace]?.skills);
      // A namespace's folder inside another's belongs to it alone.
      const exclude = folders.map(([, other]) => path.resolve(other)).filter((other) => other !== path.resolve(dir) && other.startsWith(path.resolve(dir) + path.sep));
      const catalog: Catalog = new Catalog({
        namespace,
        dir,
        exclude,
        store: options.store,
        extras: driveExtras(skillRoots),
        skillRoots,
        log: options.log,
        stopping: () => this.stopping,
        start: (name, inputs, origin, trigger, priority, actor, runId, key) =>
          this.start({
            namespace,
            workflow: name,
            inputs,
            origin,
            ...(trigger ? { trigger } : {}),
            ...(actor ? { actor } : {}),
            ...(priority === undefined ? {} : { priority }),
            ...(runId === undefined ? {} : { runId }),
            ...(key === undefined ? {} : { idempotency_key: key }),
          }),
      });
      this.catalogs.set(namespace, catalog);
    }
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

  /** The namespace `name` served here; NAMESPACE_NOT_FOUND when there is none. */
  catalog(name: string): Catalog {
    const found = this.catalogs.get(name);
    if (found) return found;
    throw new BatonError('NAMESPACE_NOT_FOUND', `no namespace ${JSON.stringify(name.slice(0, 80))} on this server`, { details: { namespace: name.slice(0, 80) } });
  }

  /** Loads every namespace's workflows. */
  async loadWorkflows(): Promise<void> {
    for (const catalog of this.catalogs.values()) await catalog.load();
  }

  /** Reloads each namespace's folder when a file in it changes (catalog.ts). */
  watchWorkflows(debounceMs = 200): void {
    for (const catalog of this.catalogs.values()) catalog.watch(debounceMs);
  }

  /**
   * Records a new run of the workflow `name` and starts driving it, or queues it (its
   * concurrency key or the global limit is full); returns its id at once. Inputs are
   * checked first: a run that cannot start is never recorded. `priority`: its place among
   * queued runs (higher first; default 0).
   */
  async start(request: LaunchRequest): Promise<string> {
    return (await this.launch(request)).runId;
  }

  /**
   * start(), with the new run's status: `pending` (it starts now), `queued`, or `cancelled`
   * (skipped). Recorded in the audit trail as `run.start` by the trigger that fired it; a
   * request's start is recorded by its front end (server/auth.ts, mcp-http.ts).
   */
  async launch(request: LaunchRequest): Promise<Launched> {
    if (this.stopping) throw new BatonError('SERVER_STOPPING', 'the server is stopping and takes no new runs: start it again, or use another one');
    const { namespace, workflow: name, inputs, origin, trigger, priority, actor, idempotency_key: key } = request;
    const loaded = this.catalog(namespace).workflow(name);
    const retention = this.options.keyRetentionMs === undefined ? {} : { retentionMs: this.options.keyRetentionMs };
    const { runId, state, existing } = await createRun({
      ...(request.runId !== undefined ? { runId: request.runId } : {}),
      store: this.store,
      workflow: loaded.workflow,
      ...(loaded.code ? { code: loaded.code } : {}),
      source: { file: loaded.file, sha256: loaded.sha256 },
      baseDir: path.dirname(loaded.file),
      inputs,
      origin,
      namespace,
      ...(actor !== undefined ? { actor } : {}),
      ...(trigger !== undefined ? { trigger } : {}),
      admission: serverAdmission(this.limits, priority),
      ...(key !== undefined ? { idempotency: { key, ...retention } } : {}),
    });
    // Driven by whoever made it (this server, another one of the store, a `baton run`).
    if (existing) return { runId, status: state.status, existing };
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
  async cancel(runId: string, reason: string, compensate = false): Promise<'requested' | 'cancelling'> {
    const owner = await requestCancel(this.store.runs, runId, reason, Date.now(), compensate);
    if (owner !== undefined) return 'requested';
    await this.act(runId, { kind: 'cancel', reason, compensate });
    return 'cancelling';
  }

  /**
   * Delivers an event to the waits open for it (runs nobody drives go on here), and
   * records it for the event triggers, which fire at once.
   */
  async emit(namespace: string, name: string, data: unknown, runId?: string, origin: RequestOrigin = 'api'): Promise<Delivered[]> {
    const reached = await emitAndRecord(this.store, name, data, runId, origin, namespace);
    for (const one of reached) if (one.continueHere) this.goOn(one.runId);
    this.catalog(namespace).feed.poke();
    return reached;
  }

  /** Answers an approval; a run nobody drives goes on here. */
  async approve(runId: string, task: string | undefined, answer: { approved: boolean; comment?: string }, who?: Principal): Promise<Delivered> {
    if (who !== undefined && this.options.separateApprovers) {
      const created = (await this.store.runs.readEvents(runId))[0];
      if (created?.type === 'RunCreated' && created.actor === who.actor) {
        throw new BatonError('APPROVAL_BY_STARTER', `run ${runId} was started by ${who.actor}, who may not answer its approvals here (server.separate_approvers): someone else approves it`, { details: { run: runId } });
      }
    }
    const answerer = who === undefined ? localAnswerer() : answererOf(who);
    const delivered = await answerApproval(this.store.runs, runId, task, { ...answer, by: byOf(who), origin: who?.origin === 'mcp' ? 'mcp' : 'api' }, Date.now(), answerer);
    if (delivered.continueHere) this.goOn(delivered.runId);
    return delivered;
  }

  /** Retries, skips or aborts a paused task (`on_failure: pause`); a run nobody drives goes on here. */
  async resolve(runId: string, task: string | undefined, answer: { resolution: 'retry' | 'skip' | 'abort'; comment?: string }, who?: Principal): Promise<Delivered> {
    const delivered = await resolvePaused(this.store.runs, runId, task, { ...answer, by: byOf(who), origin: who?.origin === 'mcp' ? 'mcp' : 'api' });
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
   * Sends the store's notifications (observability/notifications/sender.ts): those of the
   * runs driven here, and those any other process left unsent (`baton run` gave up waiting,
   * a worker stopped); each by one server or worker of the store.
   */
  sendNotices(): void {
    const sender = new NoticeSender({ store: this.store, channels: projectChannels() ?? {}, sender: `${this.options.owner.host}:${this.options.owner.pid}`, log: this.options.log });
    sender.start();
    this.notices = sender;
    const stopOthers = this.stopTimers;
    this.stopTimers = () => {
      stopOthers();
      void sender.stop();
    };
  }

  private notices?: NoticeSender;

  /** Starts every namespace's triggers (catalog.ts). */
  async startTriggers(): Promise<void> {
    for (const catalog of this.catalogs.values()) await catalog.startTriggers();
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
    const options = { store: this.store, runId, owner: this.options.owner, interrupt: this.interrupt.signal, origin: 'api' as const, onLoaded };
    // Driven with its namespace's skills.
    const drive = this.extrasOf(runId)
      .then((extras) => continueStoredRun({ ...options, ...extras }, mode))
      .then(
      ({ state }) => {
        this.options.log(`run ${runId} ${state.plan.workflow.name}: ${state.status}`);
        // Its end may have written notifications: sent now rather than at the next look.
        this.notices?.poke();
      },
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

  /** How a run is driven: with its namespace's skills (the default namespace's for one no longer served). */
  private async extrasOf(runId: string): Promise<Catalog['extras']> {
    const namespace = (await this.store.runs.getRun(runId))?.namespace ?? 'default';
    return (this.catalogs.get(namespace) ?? this.catalog('default')).extras;
  }

  /**
   * Stops taking runs; lets the runs it drives end within `graceMs`, then interrupts the
   * rest, which are left interrupted (recorded as such) for the next start to resume.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopTimers();
    this.queue.stop();
    for (const catalog of this.catalogs.values()) catalog.stop();
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

/** Who an answer is recorded as given by: the principal as the audit trail names them, else this process's user. */
function byOf(who: Principal | undefined): string {
  return who?.actor ?? answeredBy();
}
