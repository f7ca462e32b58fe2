/**
 * What `baton history` and `baton status` show of a run, as plain data: the `--json`
 * documents, what the human views are drawn from, and what `baton mcp` answers. The store gives the run record and
 * the task projection; the run's events add what the projection does not keep (the
 * workflow's version and file, which task is inside which, the run's error).
 */
import type { Compensation, RunWait, StoredEvent, TaskError, TaskStatus } from '../store/events.js';
import { displayStatus, type DisplayStatus } from '../store/ownership.js';
import type { RunRecord, TaskRecord } from '../store/store.js';
import { boundedText, summaryLimit, type TaskCounts } from '../engine/summary.js';
import { activeMs, endStretch, runDurationMs, startStretch, type Activity } from '../store/active-time.js';
import { expandedTasks } from '../engine/expand.js';
import { expansionKeys } from '../store/expansion.js';
import type { TaskSpec } from '../spec/model.js';
import { taskChildRunId } from '../store/ids.js';
import type { WaitReason } from './why-waiting.js';
import type { CircuitView } from './circuits.js';
import { progressJson, type ProgressJson } from './progress-json.js';

// The counts are the engine's, so every view counts the same tasks.
export { countTasks, type TaskCounts } from '../engine/summary.js';

/** One run in `history --json` and the head of `status --json`. Fields are only ever added. */
export interface RunJson {
  run_id: string;
  workflow: { name: string; version?: string };
  /** The stored status, or `interrupted` when the process driving the run is gone. */
  status: DisplayStatus;
  /** The workflow file the run came from, when known. */
  file?: string;
  /** The process driving the run (while it runs). */
  owner?: { host: string; pid: number };
  created_at: string;
  started_at?: string;
  ended_at?: string;
  /**
   * Its active time (the sum of its run, resume and retry sessions; docs/cli.md), once it
   * ended; absent while it has not.
   */
  duration_ms?: number;
  /** While it runs: its active time so far. */
  elapsed_ms?: number;
  /** Why the run failed. */
  error?: TaskError;
  /** Why a cancelled run was cancelled (by whom, or `skipped: ...` when its concurrency key was full). */
  reason?: string;
  /** A failed or cancelled run whose succeeded tasks were undone: how that went (engine/compensation.ts). */
  compensation?: Compensation;
  /** A run started by a front end: its priority in the queue (higher first). */
  priority?: number;
  /** Its concurrency key (the workflow's `concurrency.key`, evaluated). */
  concurrency_key?: string;
  /** The idempotency key it holds (docs/cli.md#idempotency-keys): a start with it gets this run. */
  idempotency_key?: string;
  /** What fired it (schedule, webhook, file_change, event, message); absent: started by hand. */
  trigger?: string;
  /**
   * A queued run: its place (1: next, among the queued runs of its key, or of all runs
   * when it has none), why it waits, and the runs that held its key when it was queued.
   */
  queue?: { position?: number; reason?: 'concurrency' | 'max_running'; behind?: string[] };
  /** A cancel asked for by `baton cancel`, not yet carried out. */
  cancel_requested?: string;
  /** A waiting code run: what it waits for. */
  waits?: RunWait[];
  /** What a code run reported back (bounded, as in the run's summary). */
  summary?: string;
  /** A succeeded run's result: a workflow's `outputs:`, a code run's return value (when at most the summary limit of JSON). */
  result?: unknown;
  counts: TaskCounts;
}

/** One task in `status --json`: the same fields as in `baton run --json`, plus times. */
export interface TaskJson {
  id: string;
  name?: string;
  type?: string;
  /** The composite this task is inside, if any. */
  parent?: string;
  status: TaskStatus;
  attempts: number;
  started_at?: string;
  ended_at?: string;
  /** The running time of its attempts, once it ended (not the waits between them). */
  duration_ms?: number;
  /** While it runs or waits for a retry: the running time of its attempts so far. */
  elapsed_ms?: number;
  exit_code?: number;
  outputs?: Record<string, unknown>;
  error?: TaskError;
  /** Why it was skipped or cancelled. */
  reason?: string;
  /** When a scheduled retry comes due. */
  retry_at?: string;
  /** The tasks it waits for (its `depends_on`; a sequential loop's iteration, the one before): the run's graph edges, for the UI. */
  depends_on?: string[];
  /** A task of a live run that has not started, or waits: what holds it (runs/why-waiting.ts). */
  waiting_for?: WaitReason;
  /** The attempt from which its fallback ran instead of it. */
  fallback_from?: number;
  /** A task whose last attempt its circuit breaker refused (CIRCUIT_OPEN): that circuit as it is now (runs/circuits.ts). */
  circuit?: CircuitView;
  /** A task that runs a child run (a workflow task, `uses:`, ctx.run), once it started: the child's id. */
  child_run?: string;
  /** Its progress: what it reported (`progress=` lines, ctx.progress), or a loop's or map's iterations ended of all (runs/progress-json.ts). */
  progress?: ProgressJson;
}

export interface StatusJson extends RunJson {
  tasks: TaskJson[];
}


interface NodeInfo {
  parent?: string;
  type?: string;
  name?: string;
  /** What it waits for: its depends_on, a sequential loop's previous iteration. */
  deps?: string[];
}

/**
 * What a run's events say beyond the projection. Fed incrementally (`apply` the events
 * after `seq`), so `status --watch` reads each event once.
 */
export class RunDigest {
  version?: string;
  file?: string;
  startedAt?: number;
  error?: TaskError;
  seq = 0;
  /** A waiting code run's waits (its latest RunWaiting), until it runs again. */
  waits: RunWait[] = [];
  /** What a code run reported back when it ended. */
  summary?: string;
  /** What a succeeded run gave back (RunSucceeded's result). */
  result?: unknown;
  /** A queued run's RunQueued, until it is admitted. */
  queued?: Extract<StoredEvent, { type: 'RunQueued' }>;
  /** Why it was cancelled (RunCancelled). */
  cancelReason?: string;
  compensation?: Compensation;
  /** A code run: true. */
  code = false;
  /** Every task the run knows of, static ones in file order with children after their parent. */
  readonly nodes = new Map<string, NodeInfo>();
  /** The loops' specs, by key. */
  private readonly loops = new Map<string, unknown>();
  /** Tasks' running time (store/active-time.ts), folded as the engine folds it. */
  readonly activity = new Map<string, Activity>();
  /** A code run's maps: how many items each maps (StepInfo.items). */
  readonly mapItems = new Map<string, number>();
  /** A code run's steps that run a child run (ctx.run, ctx.skill): the child's id, as recorded. */
  private readonly stepChildren = new Map<string, string>();
  /** How many times `baton retry` set each task back: a task's child run is new each time (store/ids.ts taskChildRunId). */
  private readonly reopens = new Map<string, number>();
  /** Tasks whose fallback took over: from which attempt (TaskRetryScheduled.fallback). */
  readonly fallbacks = new Map<string, number>();
  /** The end of the previous owner's stretch, from the latest RunResumed. */
  private ranUntil?: number;

  apply(events: readonly StoredEvent[]): void {
    for (const event of events) {
      this.seq = Math.max(this.seq, event.seq);
      this.foldActivity(event);
      switch (event.type) {
        case 'RunCreated': {
          const workflow = asMap(event.workflow);
          if (typeof workflow?.version === 'string') this.version = workflow.version;
          this.file = event.source?.file ?? str(asMap(workflow?.source)?.file);
          this.code = event.kind === 'code';
          for (const spec of list(workflow?.tasks)) this.addStatic(spec, undefined);
          break;
        }
        case 'RunStarted':
          this.startedAt ??= event.at;
          break;
        case 'RunQueued':
          this.queued = event;
          break;
        case 'RunAdmitted':
          this.queued = undefined;
          break;
        case 'RunCancelled':
          this.queued = undefined;
          this.cancelReason = event.reason;
          this.compensation = event.compensation;
          break;
        case 'TaskRetryScheduled':
          if (event.fallback) this.fallbacks.set(event.task, event.attempt);
          break;
        case 'TaskStarted':
          // A code run's steps join as they start.
          if (event.step && !this.nodes.has(event.task)) this.nodes.set(event.task, { parent: event.step.parent, type: event.step.kind });
          if (event.step?.child !== undefined) this.stepChildren.set(event.task, event.step.child);
          if (event.step?.items !== undefined) this.mapItems.set(event.task, event.step.items);
          break;
        case 'RunWaiting':
          this.waits = event.waits;
          break;
        case 'RunWoke':
        case 'RunResumed':
          this.waits = [];
          break;
        case 'RunSucceeded':
          this.summary = event.summary;
          this.result = event.result;
          this.waits = [];
          break;
        case 'TaskExpanded':
          this.addExpansion(event);
          break;
        case 'RunFailed':
          this.compensation = event.compensation;
          this.error = event.error;
          this.summary = event.summary;
          this.waits = [];
          break;
        case 'RunReopened':
          this.error = this.result = undefined;
          for (const task of event.tasks) this.fallbacks.delete(task);
          for (const task of event.tasks) this.reopens.set(task, (this.reopens.get(task) ?? 0) + 1);
          break;
      }
    }
  }

  /**
   * The child run of task `key` of run `runId`: recorded with a code run's step; derived, as
   * the engine derives it, for a workflow file's skill and workflow tasks.
   */
  childRunOf(runId: string, key: string): string | undefined {
    const recorded = this.stepChildren.get(key);
    if (recorded !== undefined) return recorded;
    const type = this.nodes.get(key)?.type;
    return type === 'workflow' || type === 'skill' ? taskChildRunId(runId, key, this.reopens.get(key) ?? 0) : undefined;
  }

  private foldActivity(event: StoredEvent): void {
    switch (event.type) {
      case 'RunResumed':
        this.ranUntil = Math.min(event.ran_until ?? event.at, event.at);
        return;
      case 'TaskStarted': {
        let activity = this.activity.get(event.task);
        if (!activity) this.activity.set(event.task, (activity = {}));
        return startStretch(activity, event.at);
      }
      case 'TaskInterrupted':
        return this.endActivity(event.task, this.ranUntil ?? event.at);
      case 'TaskSucceeded':
      case 'TaskFailed':
      case 'TaskCancelled':
        return this.endActivity(event.task, event.at);
    }
  }

  private endActivity(task: string, at: number): void {
    const activity = this.activity.get(task);
    if (activity) endStretch(activity, at);
  }

  private addExpansion(event: Extract<StoredEvent, { type: 'TaskExpanded' }>): void {
    let children: { key: string; parent: string; spec?: unknown }[];
    try {
      children = expandedTasks(event, (this.loops.get(event.task) ?? {}) as TaskSpec);
    } catch {
      // No loop spec to derive them from (a damaged log): the keys alone still show.
      children = expansionKeys(event).map((key) => ({ key, parent: event.task }));
    }
    for (const child of children) this.addNode(child.key, child.parent, child.spec);
  }

  private addNode(key: string, parent: string | undefined, raw: unknown): void {
    const spec = asMap(raw);
    const deps = list(spec?.depends_on).filter((dep): dep is string => typeof dep === 'string');
    this.nodes.set(key, { parent, type: str(spec?.type), name: str(spec?.name), ...(deps.length > 0 ? { deps } : {}) });
    // A loop's template is what its TaskExpanded is derived from.
    if (spec?.type === 'loop') this.loops.set(key, spec);
  }

  /** Parallel children and conditional branches are static; loop iterations come in TaskExpanded. */
  private addStatic(raw: unknown, parent: string | undefined): void {
    const spec = asMap(raw);
    const id = str(spec?.id);
    if (spec === undefined || id === undefined) return;
    this.addNode(id, parent, spec);
    for (const child of list(spec.tasks)) this.addStatic(child, id);
    if (spec.type === 'conditional') {
      this.addStatic(spec.then, id);
      this.addStatic(spec.else, id);
    }
  }
}

/**
 * The run's head as JSON (history needs no events: pass no digest). `position`: a queued
 * run's place in the queue (runs/admission.ts queuePositions).
 */
export function runJson(record: RunRecord, counts: TaskCounts, now: number, digest?: RunDigest, position?: number): RunJson {
  const status = displayStatus(record, now);
  // Built field by field so the JSON keys come out in this order, absent ones left out.
  const out = { run_id: record.id, workflow: { name: record.workflow }, status } as RunJson;
  if (digest?.version !== undefined) out.workflow.version = digest.version;
  if (digest?.file !== undefined) out.file = digest.file;
  if (record.owner && (status === 'running' || status === 'pending')) out.owner = { host: record.owner.host, pid: record.owner.pid };
  out.created_at = iso(record.created_at)!;
  if (digest?.startedAt !== undefined) out.started_at = iso(digest.startedAt);
  if (record.ended_at !== undefined) {
    out.ended_at = iso(record.ended_at);
    out.duration_ms = runDurationMs(record);
  } else if ((status === 'running' || status === 'pending' || status === 'waiting') && (record.active_ms !== undefined || record.active_since !== undefined)) {
    out.elapsed_ms = activeMs(record, now);
  }
  if (digest?.error !== undefined && record.status === 'failed') out.error = digest.error;
  if (digest?.cancelReason !== undefined && record.status === 'cancelled') out.reason = digest.cancelReason;
  if (digest?.compensation !== undefined && (record.status === 'failed' || record.status === 'cancelled')) out.compensation = digest.compensation;
  if (record.priority !== undefined) out.priority = record.priority;
  if (record.concurrency_key !== undefined) out.concurrency_key = record.concurrency_key;
  if (record.idempotency_key !== undefined) out.idempotency_key = record.idempotency_key;
  if (record.trigger !== undefined) out.trigger = record.trigger;
  if (record.status === 'queued') {
    const queued = digest?.queued;
    out.queue = { ...(position === undefined ? {} : { position }), ...(queued ? { reason: queued.reason } : {}), ...(queued?.behind ? { behind: queued.behind } : {}) };
  }
  if (record.cancel_requested !== undefined && record.ended_at === undefined) out.cancel_requested = record.cancel_requested;
  if (digest && status === 'waiting' && digest.waits.length > 0) out.waits = digest.waits;
  if (digest?.summary !== undefined) out.summary = boundedText(digest.summary, summaryLimit());
  if (digest?.result !== undefined && record.status === 'succeeded') {
    const json = JSON.stringify(digest.result);
    if (json !== undefined && Buffer.byteLength(json) <= summaryLimit()) out.result = digest.result;
  }
  out.counts = counts;
  return out;
}

/**
 * The run's tasks in tree order (each composite followed by what is inside it): every task
 * the run knows of, including static ones not reached yet (pending), with the projection's
 * state where it has one.
 */
export function taskJson(rows: readonly TaskRecord[], digest: RunDigest, now: number, runId?: string): TaskJson[] {
  const byKey = new Map(rows.map((row) => [row.key, row]));
  const children = new Map<string, string[]>();
  const roots: string[] = [];
  const known = new Set<string>();
  const place = (key: string, parent: string | undefined) => {
    known.add(key);
    if (parent === undefined || !digest.nodes.has(parent)) roots.push(key);
    else {
      const siblings = children.get(parent);
      if (siblings) siblings.push(key);
      else children.set(parent, [key]);
    }
  };
  for (const [key, node] of digest.nodes) place(key, node.parent);
  for (const row of rows) if (!known.has(row.key)) place(row.key, undefined);

  const out: TaskJson[] = [];
  const visit = (key: string) => {
    const task = oneTask(key, byKey.get(key), digest.nodes.get(key), digest.activity.get(key), now);
    const fallbackFrom = digest.fallbacks.get(key);
    if (fallbackFrom !== undefined && task.attempts >= fallbackFrom) task.fallback_from = fallbackFrom;
    const child = runId === undefined || task.attempts === 0 ? undefined : digest.childRunOf(runId, key);
    if (child !== undefined) task.child_run = child;
    const row = byKey.get(key);
    if (row !== undefined) {
      const progress = progressJson(row, now, iterationsOf(key, digest, children, byKey));
      if (progress !== undefined) task.progress = progress;
    }
    out.push(task);
    for (const child of children.get(key) ?? []) visit(child);
  };
  roots.forEach(visit);
  return out;
}

function oneTask(key: string, row: TaskRecord | undefined, node: NodeInfo | undefined, activity: Activity | undefined, now: number): TaskJson {
  const task: TaskJson = { id: key, status: row?.status ?? 'pending', attempts: row?.attempt ?? 0 };
  if (node?.name !== undefined) task.name = node.name;
  if (node?.type !== undefined) task.type = node.type;
  if (node?.parent !== undefined) task.parent = node.parent;
  if (node?.deps !== undefined) task.depends_on = node.deps;
  if (row === undefined) return task;
  if (row.first_started_at !== undefined) task.started_at = iso(row.first_started_at);
  if (row.ended_at !== undefined) task.ended_at = iso(row.ended_at);
  if (activity !== undefined) {
    const ended = row.status !== 'running' && row.status !== 'retrying' && row.ended_at !== undefined;
    if (ended) task.duration_ms = activeMs(activity, row.ended_at!);
    else if (row.status === 'running' || row.status === 'retrying') task.elapsed_ms = activeMs(activity, now);
  }
  if (row.exit_code !== undefined) task.exit_code = row.exit_code;
  if (row.outputs !== undefined && Object.keys(row.outputs).length > 0) task.outputs = row.outputs;
  if (row.error !== undefined && row.status === 'failed') task.error = row.error;
  if (row.reason !== undefined) task.reason = row.reason;
  if (row.retry_at !== undefined && row.status === 'retrying') task.retry_at = iso(row.retry_at);
  return task;
}

/** A loop's or map's iterations, for its progress; undefined for any other task. */
function iterationsOf(key: string, digest: RunDigest, children: ReadonlyMap<string, string[]>, byKey: ReadonlyMap<string, TaskRecord>) {
  const type = digest.nodes.get(key)?.type;
  if (type !== 'loop' && type !== 'map') return undefined;
  const keys = children.get(key) ?? [];
  return { rows: keys.map((child) => byKey.get(child)), total: type === 'map' ? (digest.mapItems.get(key) ?? keys.length) : keys.length };
}

function asMap(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function iso(at: number | undefined): string | undefined {
  return at === undefined ? undefined : new Date(at).toISOString();
}
