import type { LeafTask, TaskSpec } from '../spec/model.js';
import type { CodeSnapshot, Compensation, RunEvent, RunSandbox, RunStatus, RunTrigger, RunWait, StepInfo, StoredEvent, TaskError, TaskStatus, TimedEvent, WaitAnswer } from '../store/events.js';
import { answerOutcome, isWait, progressOf } from '../store/projection.js';
import type { ProgressReport } from '../store/store.js';
import { taskDefaults } from '../spec/task-defaults.js';
import { endStretch, foldRunActivity, startStretch, type Activity } from '../store/active-time.js';
import { expandedTasks } from './expand.js';
import type { Plan, PlanNode } from './plan.js';
import { DEFAULT_NAMESPACE, namespaceOf } from '../store/events.js';

/**
 * A run's state as a fold over its events: apply() is the only way it changes, so the
 * live engine and a resumed one (which replays the log) see the same thing.
 *
 * Fields marked "derived" are not facts from the log but counters the scheduler keeps
 * to decide quickly; it recomputes them from the facts when a run is resumed.
 */
export interface TaskState {
  status: TaskStatus;
  /** Number of the latest attempt; 0 before the first. */
  attempt: number;
  firstStartedAt?: number;
  startedAt?: number;
  endedAt?: number;
  outputs?: Record<string, unknown>;
  exitCode?: number;
  error?: TaskError;
  /** Why it was skipped or cancelled. */
  reason?: string;
  retryAt?: number;
  /** For a callback: the task whose end started it. */
  trigger?: string;
  /**
   * Attempts that do not count against the retry policy: ones interrupted by a crash, and
   * all of them before a `baton retry`.
   */
  attemptOffset: number;
  /** How many times `baton retry` set it back to pending: a `uses:` task's child run is new each time (skill-run.ts). */
  reopens?: number;
  /** The attempt from which its `fallback` runs instead of the task (its own attempts all failed); none while the task itself runs. */
  fallbackFrom?: number;
  /**
   * A workflow file's wait or paused task: the answer recorded for it (WaitAnswered, deferred)
   * that the driver has not yet taken up (engine/waits.ts); the first one counts.
   */
  answer?: WaitAnswer & { at: number };
  /** It waits for `baton resolve` after failing (TaskPaused), rather than as a wait task. */
  paused?: true;
  /** Its place among the run's successes (1 = the first to succeed): compensations run in the reverse order. */
  succeededAs?: number;
  /** When it was first ready: its `schedule_timeout` counts from here. */
  firstReadyAt?: number;
  /** Start of the first of a row of interrupted attempts the current one continues (see TaskIO.continuesFrom). */
  continuesFrom?: number;
  /** For a conditional: the branch it took. */
  branch?: 'then' | 'else';
  /** The latest progress its current attempt reported (TaskProgress), as the task row keeps it (store/projection.ts). */
  progress?: ProgressReport;
  /** Running time of its ended attempts, and the start of the one running (store/active-time.ts). */
  active_ms?: number;
  active_since?: number;
  /** derived: deps not yet ended, plus 1 while the parent has not started. */
  waiting: number;
  /** derived: callbacks only, triggers that have not ended yet. */
  triggersLeft: number;
}

export class RunState {
  status: RunStatus = 'pending';
  readonly nodes: Map<string, PlanNode>;
  /** key -> keys listing it in deps, for tasks added while the run goes (see dependentsOf). */
  private readonly dynamicDependents = new Map<string, string[]>();
  readonly tasks = new Map<string, TaskState>();
  /** The keys the latest TaskExpanded added, for the scheduler that emitted it. */
  lastExpanded: readonly string[] = [];
  /** loop key -> its iterations, in order; a code run's map key -> its steps, in the order they started. */
  readonly loopChildren = new Map<string, string[]>();
  inputs: Record<string, unknown> = {};
  env: Record<string, string> = {};
  cancelRequested?: string;
  /** The cancel asked for the run's succeeded tasks to be undone (`baton cancel --compensate`). */
  cancelCompensates = false;
  /** The run's compensation, once it began (RunCompensating): what it undoes and how the run then ends. */
  compensation?: Extract<RunEvent, { type: 'RunCompensating' }>;
  /** How the compensation went, once the run ended after one (RunFailed/RunCancelled.compensation). */
  compensated?: Compensation;
  /** Successes so far, to order tasks by when they succeeded (TaskState.succeededAs). */
  private successes = 0;
  createdAt = 0;
  startedAt?: number;
  /** When the run last became active (started, or reopened by `baton retry`): its time limit counts from here. */
  activeSince?: number;
  endedAt?: number;
  /** The run's active time: its run/resume/retry sessions (store/active-time.ts). */
  readonly activity: Activity = {};
  /** Time of the last event applied. */
  lastAt = 0;
  /** The end of the previous owner's stretch, from the latest RunResumed: where its interrupted attempts ended. */
  private ranUntil?: number;
  runError?: TaskError;
  /** Why a cancelled run was cancelled (RunCancelled): by whom, or skipped for its concurrency key. */
  cancelReason?: string;
  /** The file the workflow came from, and the folder relative paths resolve against. */
  source?: { file: string; sha256: string };
  /** A code run's code (RunCreated, or the RunReopened of `baton retry --new-code`); none for a graph run. */
  code?: CodeSnapshot;
  /** What a waiting run waits for (its latest RunWaiting); empty once it runs again. */
  waits: readonly RunWait[] = [];
  /** What a code run reported back when it ended (RunSucceeded, RunFailed). */
  summary?: string;
  result?: unknown;
  baseDir?: string;
  /** The sandbox the run runs in (RunCreated); none when it runs unsandboxed. */
  sandbox?: RunSandbox;
  /** What fired the run (RunCreated), when a trigger started it. */
  trigger?: RunTrigger;
  /** The namespace it belongs to (RunCreated): its pool slots and concurrency keys are that namespace's. */
  namespace = DEFAULT_NAMESPACE;
  /** Workers drive it, and its tasks wait for them in this queue (RunCreated's `workers`); none: driven where it was created. */
  workersQueue?: string;
  lastSeq = 0;

  constructor(
    readonly runId: string,
    readonly plan: Plan,
  ) {
    this.nodes = new Map(plan.nodes);
    for (const key of this.nodes.keys()) this.tasks.set(key, newTaskState());
  }

  /** Adds a task created while the run goes (a loop iteration and what it contains). */
  addNode(node: PlanNode): void {
    this.nodes.set(node.key, node);
    this.tasks.set(node.key, newTaskState());
    const parent = node.parent === undefined ? undefined : this.nodes.get(node.parent);
    if (parent !== undefined && (parent.spec.type === 'loop' || parent.step?.kind === 'map')) {
      let list = this.loopChildren.get(node.parent!);
      if (!list) this.loopChildren.set(node.parent!, (list = []));
      list.push(node.key);
    }
    for (const dep of node.deps) {
      let list = this.dynamicDependents.get(dep);
      if (!list) this.dynamicDependents.set(dep, (list = []));
      list.push(node.key);
    }
  }

  /**
   * The tasks waiting for `key`. A task added while the run goes only ever waits for
   * another such task (the previous loop iteration), so the two maps never mix.
   */
  dependentsOf(key: string): readonly string[] | undefined {
    return this.plan.dependents.get(key) ?? this.dynamicDependents.get(key);
  }

  /** Adds a code run's task when its first TaskStarted says what it is (a code run has no plan to list it before). */
  private addStep(key: string, step: StepInfo): void {
    if (this.nodes.has(key)) {
      // Started anew after `baton retry` reopened it: what it is now (a sleep's new wake time).
      this.nodes.set(key, { ...this.nodes.get(key)!, step });
      return;
    }
    const spec: TaskSpec = { ...STEP_SPEC, id: key };
    this.addNode({ key, spec, parent: step.parent, deps: [], orderOnly: false, children: [], callback: false, step });
  }

  /** The spec an attempt of leaf task `key` runs: the task's own, or its fallback's once that took over. */
  attemptSpec(key: string): LeafTask {
    const spec = this.nodes.get(key)!.spec as LeafTask;
    return spec.fallback !== undefined && this.tasks.get(key)?.fallbackFrom !== undefined ? spec.fallback : spec;
  }

  task(key: string): TaskState {
    const state = this.tasks.get(key);
    if (!state) throw new Error(`unknown task key ${key} in run ${this.runId}`);
    return state;
  }

  apply(event: TimedEvent | StoredEvent): void {
    if ('seq' in event) this.lastSeq = event.seq;
    this.lastAt = event.at;
    if (foldRunActivity(this.activity, event) && event.type === 'RunResumed') this.ranUntil = Math.min(event.ran_until ?? event.at, event.at);
    switch (event.type) {
      case 'RunCreated':
        this.code = event.code;
        this.inputs = event.inputs;
        this.env = event.env;
        this.createdAt = event.at;
        this.source = event.source;
        this.baseDir = event.base_dir;
        this.sandbox = event.sandbox;
        this.trigger = event.trigger;
        this.namespace = namespaceOf(event);
        this.workersQueue = event.workers?.queue;
        return;
      case 'RunQueued':
        this.status = 'queued';
        return;
      case 'RunAdmitted':
        this.status = 'pending';
        return;
      case 'RunStarted':
        this.status = 'running';
        this.startedAt ??= event.at;
        this.activeSince = event.at;
        return;
      case 'RunResumed':
      case 'RunWoke':
        if (this.status === 'waiting') this.status = 'running';
        this.waits = [];
        return;
      case 'RunWaiting':
        this.status = 'waiting';
        this.waits = event.waits;
        return;
      case 'RunReopened':
        if (event.code) this.code = event.code;
        this.status = 'running';
        this.summary = this.result = undefined;
        this.activeSince = event.at;
        this.endedAt = undefined;
        this.runError = undefined;
        this.cancelRequested = undefined;
        for (const key of event.tasks) {
          const task = this.task(key);
          Object.assign(task, { status: 'pending', attemptOffset: task.attempt, reopens: (task.reopens ?? 0) + 1, trigger: undefined, branch: undefined, continuesFrom: undefined, fallbackFrom: undefined, firstReadyAt: undefined });
          task.outputs = task.exitCode = task.error = task.reason = task.retryAt = task.endedAt = task.progress = undefined;
        }
        return;
      case 'TaskReady': {
        const task = this.task(event.task);
        if (task.status === 'waiting') {
          // A paused task retried (`baton resolve --retry`): the task itself runs again, with its whole retry policy.
          task.attemptOffset = task.attempt;
          task.fallbackFrom = task.error = task.exitCode = task.answer = task.paused = undefined;
        }
        task.status = 'ready';
        task.firstReadyAt ??= event.at;
        if (event.trigger) task.trigger = event.trigger;
        return;
      }
      case 'TaskStarted': {
        if (event.step) this.addStep(event.task, event.step);
        const task = this.task(event.task);
        // A wait is started once, with its StepInfo (a retried step's later attempts run).
        task.status = event.step && isWait(event.step.kind) ? 'waiting' : 'running';
        task.answer = task.paused = undefined;
        task.attempt = event.attempt;
        task.startedAt = event.at;
        task.firstStartedAt ??= event.at;
        // A new attempt starts over.
        if (task.progress !== undefined) task.progress = undefined;
        startStretch(task, event.at);
        return;
      }
      case 'TaskProgress': {
        const task = this.task(event.task);
        if (task.attempt === event.attempt && (task.status === 'running' || task.status === 'waiting')) task.progress = progressOf(event);
        return;
      }
      case 'TaskInterrupted': {
        const task = this.task(event.task);
        task.status = 'ready';
        task.attemptOffset++;
        task.continuesFrom ??= task.startedAt;
        endStretch(task, this.ranUntil ?? event.at);
        return;
      }
      case 'TaskBranched':
        this.task(event.task).branch = event.branch;
        return;
      case 'TaskExpanded': {
        // Derived from the loop's template (or, in a run recorded before, as recorded).
        const added: string[] = [];
        this.lastExpanded = added;
        for (const child of expandedTasks(event, this.nodes.get(event.task)!.spec)) {
          added.push(child.key);
          this.addNode({
            key: child.key,
            spec: child.spec as TaskSpec,
            parent: child.parent,
            deps: child.after,
            orderOnly: child.order_only === true,
            children: child.children ?? [],
            callback: false,
            item: child.item,
            index: child.index,
            branch: child.branch,
          });
        }
        return;
      }
      case 'TaskSucceeded': {
        const task = this.task(event.task);
        task.status = 'succeeded';
        task.succeededAs = ++this.successes;
        task.continuesFrom = undefined;
        task.outputs = event.outputs;
        task.exitCode = event.exit_code;
        task.endedAt = event.at;
        endStretch(task, event.at);
        return;
      }
      case 'TaskFailed': {
        const task = this.task(event.task);
        task.status = 'failed';
        task.continuesFrom = undefined;
        task.outputs = event.outputs;
        task.error = event.error;
        task.exitCode = event.error.exit_code;
        task.endedAt = event.at;
        endStretch(task, event.at);
        return;
      }
      case 'WaitAnswered': {
        const task = this.tasks.get(event.task);
        if (task?.status !== 'waiting') return;
        if (event.deferred) {
          task.answer ??= { ...event.answer, at: event.at };
          return;
        }
        const outcome = answerOutcome(event.answer);
        task.status = outcome.ok ? 'succeeded' : 'failed';
        if (outcome.ok) task.outputs = outcome.outputs;
        else task.error = outcome.error;
        task.endedAt = event.at;
        endStretch(task, event.at);
        return;
      }
      case 'TaskPaused': {
        const task = this.task(event.task);
        task.status = 'waiting';
        task.paused = true;
        task.answer = undefined;
        task.error = event.error;
        task.exitCode = event.error.exit_code;
        endStretch(task, event.at);
        return;
      }
      case 'TaskRetryScheduled': {
        const task = this.task(event.task);
        task.status = 'retrying';
        task.retryAt = event.at_due;
        if (event.fallback) task.fallbackFrom = event.attempt;
        return;
      }
      case 'TaskSkipped':
      case 'TaskCancelled': {
        const task = this.task(event.task);
        task.status = event.type === 'TaskSkipped' ? 'skipped' : 'cancelled';
        task.continuesFrom = undefined;
        task.reason = event.reason;
        task.endedAt = event.at;
        endStretch(task, event.at);
        return;
      }
      case 'RunCancelRequested':
        this.cancelRequested = event.reason;
        if (event.compensate) this.cancelCompensates = true;
        return;
      case 'RunCompensating':
        this.compensation = event;
        event.tasks.forEach((compensated, i) => {
          const key = compensationKey(compensated);
          if (this.nodes.has(key)) return;
          const spec = (this.nodes.get(compensated)?.spec as LeafTask | undefined)?.compensate ?? { id: key, explicit_id: false, type: 'noop', depends_on: [], on_success: [], on_failure: [], outputs: {}, live_output: false, continue_on_error: false, environment: {} };
          this.addNode({ key, spec, deps: i === 0 ? [] : [compensationKey(event.tasks[i - 1])], orderOnly: false, children: [], callback: false, compensates: compensated });
          // As in a callback, `trigger` is the task it answers: `${ trigger.outputs.id }` is what to undo.
          this.task(key).trigger = compensated;
        });
        return;
      case 'RunSucceeded':
      case 'RunFailed':
      case 'RunCancelled':
        this.status = event.type === 'RunSucceeded' ? 'succeeded' : event.type === 'RunFailed' ? 'failed' : 'cancelled';
        if (event.type === 'RunFailed') this.runError = event.error;
        if (event.type !== 'RunSucceeded' && event.compensation !== undefined) this.compensated = event.compensation;
        if (event.type === 'RunCancelled') this.cancelReason = event.reason;
        if (event.type !== 'RunCancelled') this.summary = event.summary;
        if (event.type === 'RunSucceeded') this.result = event.result;
        this.waits = [];
        this.endedAt = event.at;
        return;
    }
  }
}

/** A code run's task as a task spec: the views and the projection need one; the step driver never reads it. */
const STEP_SPEC: Omit<TaskSpec & { type: 'noop' }, 'id'> = { type: 'noop', explicit_id: true, ...taskDefaults() };

function newTaskState(): TaskState {
  return { status: 'pending', attempt: 0, attemptOffset: 0, waiting: 0, triggersLeft: 0 };
}

/** The key of the task that undoes `task` (RunCompensating): brackets, which no task id has, so it cannot clash. */
export function compensationKey(task: string): string {
  return `compensate[${task}]`;
}
