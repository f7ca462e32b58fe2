/**
 * "Why is this waiting?": for each task of a live run that has not started (or waits), what
 * holds it, as `baton status`, its `--json` and GET /api/runs/{id} show it (`waiting_for`):
 * - dependencies: the tasks it depends on that have not ended (a callback: its triggers);
 * - parent: the parallel, loop or conditional it is inside has not started;
 * - resource: pools it asks for that other tasks hold (which run, which task), from the
 *   wait the engine recorded (TaskAwaitingResources) and the pools' holds as they are now;
 * - retry: the time its next attempt is due;
 * - concurrency: the run's task limit, or its group's max_concurrency, is taken;
 * - approval, event, sleep: a wait (a code run's, or an approval or wait task), until when, for what;
 * - pause: a task paused after failing (`on_failure: pause`), and why it failed.
 * Computed from the run's events (folded as the engine folds them, engine/state.ts) and the
 * store's pool holds, below the front ends, so every one of them says the same.
 */
import { buildPlan } from '../engine/plan.js';
import { RunState } from '../engine/state.js';
import type { Workflow } from '../spec/model.js';
import type { PoolWait, StoredEvent } from '../store/events.js';
import { TERMINAL_TASK_STATUSES } from '../store/events.js';
import { displayStatus } from '../store/ownership.js';
import type { PoolHold } from '../store/pools.js';
import type { RunRecord, Store } from '../store/store.js';

export interface WaitReason {
  kind: 'dependencies' | 'parent' | 'resource' | 'retry' | 'concurrency' | 'approval' | 'event' | 'sleep' | 'pause';
  /** One line for people: what it waits for. */
  message: string;
  /** dependencies: the tasks not ended yet; parent: the composite not started. */
  tasks?: string[];
  /** resource: the pools short, with who holds them now. */
  pools?: PoolWait[];
  /** concurrency: the limit, and the group (parallel or loop) whose limit it is; none for the run's. */
  limit?: number;
  group?: string;
  /** retry, sleep: when (ISO 8601). */
  until?: string;
  /** approval, event: when the wait gives up (ISO 8601). */
  timeout_at?: string;
  prompt?: string;
  /** approval of a workflow file: who may answer it. */
  approvers?: string[];
  event?: string;
  /** pause: the failure it paused on. */
  error?: { code: string; message: string };
}

/** Tasks named in a message, at most. */
const NAMED = 5;
/** Leaf tasks a run runs at once when neither its workflow nor --concurrency says (engine/graph-driver.ts). */
const DEFAULT_TASK_LIMIT = 16;

/**
 * Explains the waits of one run, call after call (`status --watch`): its events are folded
 * once each. Runs that ended, or that nobody drives, are not explained.
 */
export class WaitExplainer {
  private state?: RunState;
  private seq = 0;
  private broken = false;
  /** Task -> its latest recorded wait for pools. */
  private readonly awaiting = new Map<string, { attempt: number; pools: PoolWait[] }>();

  constructor(private readonly runId: string) {}

  /** Sets `waiting_for` on the tasks (TaskJson-like: `id`) that wait, now. */
  async explain(store: Store, record: RunRecord, tasks: Array<{ id: string; waiting_for?: WaitReason }>, now: number): Promise<void> {
    const status = displayStatus(record, now);
    // An interrupted run's open waits are still open: shown, with what answers them.
    if (status !== 'running' && status !== 'pending' && status !== 'waiting' && status !== 'interrupted') return;
    const state = await this.catchUp(store);
    if (state === undefined) return;
    const asked = new Set<string>();
    for (const wait of this.awaiting.values()) for (const pool of wait.pools) asked.add(pool.pool);
    const holds = asked.size > 0 ? await store.pools.holds([...asked]) : [];
    const reasons = reasonsOf(state, this.awaiting, holds, now);
    for (const task of tasks) {
      const reason = reasons.get(task.id);
      if (reason !== undefined) task.waiting_for = reason;
    }
  }

  private async catchUp(store: Store): Promise<RunState | undefined> {
    if (this.broken) return undefined;
    const events = await store.runs.readEvents(this.runId, this.seq);
    try {
      for (const event of events) this.apply(event);
    } catch {
      // A log the engine could not replay either (`baton resume` says why): nothing to explain.
      this.broken = true;
      return undefined;
    }
    return this.state;
  }

  private apply(event: StoredEvent): void {
    this.seq = event.seq;
    if (event.type === 'RunCreated') this.state = new RunState(this.runId, buildPlan(event.workflow as Workflow));
    this.state?.apply(event);
    if (event.type === 'TaskAwaitingResources') this.awaiting.set(event.task, { attempt: event.attempt, pools: event.pools });
  }
}

function reasonsOf(state: RunState, awaiting: ReadonlyMap<string, { attempt: number; pools: PoolWait[] }>, holds: readonly PoolHold[], now: number): Map<string, WaitReason> {
  const out = new Map<string, WaitReason>();
  const running = new Map<string | undefined, number>();
  for (const [key, task] of state.tasks) {
    if (task.status !== 'running' || isComposite(state, key)) continue;
    const parent = state.nodes.get(key)?.parent;
    running.set(undefined, (running.get(undefined) ?? 0) + 1);
    if (parent !== undefined) running.set(parent, (running.get(parent) ?? 0) + 1);
  }
  for (const [key, task] of state.tasks) {
    const node = state.nodes.get(key);
    if (node === undefined || TERMINAL_TASK_STATUSES.has(task.status) || task.status === 'running') continue;
    let reason: WaitReason | undefined;
    if (task.status === 'retrying') {
      reason = task.retryAt === undefined ? undefined : { kind: 'retry', message: `attempt ${task.attempt + 1} is due at ${iso(task.retryAt)}`, until: iso(task.retryAt) };
    } else if (task.status === 'waiting') {
      reason = task.paused && task.error ? { kind: 'pause', message: `paused after failing: ${task.error.message} [${task.error.code}]`, error: { code: task.error.code, message: task.error.message } } : codeWait(node.step, now);
    } else if (task.status === 'pending') {
      reason = pendingReason(state, key);
    } else if (task.status === 'ready') {
      const recorded = awaiting.get(key);
      if (recorded !== undefined && recorded.attempt === task.attempt + 1) reason = resourceReason(state.runId, key, recorded.pools, holds);
      reason ??= slotReason(state, key, running);
    }
    if (reason !== undefined) out.set(key, reason);
  }
  return out;
}

function pendingReason(state: RunState, key: string): WaitReason | undefined {
  const node = state.nodes.get(key)!;
  if (node.callback) {
    const triggers = [...state.plan.callbacksOf].filter(([trigger, on]) => (on.on_success.includes(key) || on.on_failure.includes(key)) && !ended(state, trigger)).map(([trigger]) => trigger);
    if (triggers.length > 0) return { kind: 'dependencies', message: `runs when ${names(triggers)} ${triggers.length === 1 ? 'ends' : 'end'} (a callback)`, tasks: triggers };
    return undefined;
  }
  if (node.parent !== undefined && state.task(node.parent).status !== 'running') {
    return { kind: 'parent', message: `waits for ${node.parent} to start`, tasks: [node.parent] };
  }
  const open = node.deps.filter((dep) => !ended(state, dep));
  if (open.length > 0) return { kind: 'dependencies', message: `waits for ${names(open)} to finish`, tasks: open };
  return undefined;
}

/** The pools the task waits for, with who holds them now (other tasks than itself). */
function resourceReason(runId: string, key: string, recorded: readonly PoolWait[], holds: readonly PoolHold[]): WaitReason {
  const pools = recorded.map((wait): PoolWait => {
    const others = holds.filter((hold) => hold.pool === wait.pool && !(hold.run_id === runId && hold.task === key));
    const in_use = others.reduce((sum, hold) => sum + hold.amount, 0);
    return { ...wait, in_use, held_by: others.slice(0, NAMED).map((hold) => ({ run: hold.run_id, task: hold.task, amount: hold.amount })) };
  });
  const parts = pools.map((pool) => {
    // Run ids shortened for people (any unique prefix names a run); the JSON has them whole.
    const by = pool.held_by.map((h) => (h.run === runId ? `task ${h.task}` : `run ${h.run.slice(0, 10)} task ${h.task}`));
    if (pool.in_use > pool.held_by.reduce((n, h) => n + h.amount, 0)) by.push('...');
    return `${pool.pool} (${pool.in_use}/${pool.capacity}${by.length === 0 ? ', free now' : `: ${by.join(', ')}`})`;
  });
  return { kind: 'resource', message: `waits for pool ${parts.join('; ')}`, pools };
}

/** A ready task that is not waiting for pools: the run's task limit, or its group's, is taken. */
function slotReason(state: RunState, key: string, running: ReadonlyMap<string | undefined, number>): WaitReason | undefined {
  const parent = state.nodes.get(key)!.parent;
  if (parent !== undefined) {
    const spec = state.nodes.get(parent)!.spec;
    const limit = spec.type === 'parallel' || spec.type === 'loop' ? spec.max_concurrency : undefined;
    if (limit !== undefined && (running.get(parent) ?? 0) >= limit) {
      return { kind: 'concurrency', message: `waits for a free slot in ${parent} (max_concurrency ${limit}, all running)`, limit, group: parent };
    }
  }
  // The --concurrency of the process driving the run is not recorded: the workflow's limit is the one known.
  const limit = state.plan.workflow.concurrency ?? DEFAULT_TASK_LIMIT;
  if ((running.get(undefined) ?? 0) >= limit) return { kind: 'concurrency', message: `waits for a free slot (the run runs ${limit} tasks at once, all running)`, limit };
  return undefined;
}

function codeWait(step: { kind: string; until?: number; timeout_at?: number; prompt?: string; approvers?: string[]; event?: string } | undefined, now: number): WaitReason | undefined {
  if (step === undefined) return undefined;
  const timeout = step.timeout_at === undefined ? {} : { timeout_at: iso(step.timeout_at) };
  const until = step.timeout_at === undefined ? '' : step.timeout_at > now ? ` (until ${iso(step.timeout_at)})` : ' (timed out)';
  if (step.kind === 'approval') return { kind: 'approval', message: `waits for approval${step.prompt ? `: ${step.prompt}` : ''}${until}`, ...timeout, ...(step.prompt ? { prompt: step.prompt } : {}), ...(step.approvers ? { approvers: step.approvers } : {}) };
  if (step.kind === 'event') return { kind: 'event', message: `waits for event ${step.event ?? '?'}${until}`, ...timeout, ...(step.event ? { event: step.event } : {}) };
  if (step.kind === 'sleep' && step.until !== undefined) return { kind: 'sleep', message: `sleeps until ${iso(step.until)}`, until: iso(step.until) };
  return undefined;
}

function ended(state: RunState, key: string): boolean {
  const task = state.tasks.get(key);
  return task === undefined || TERMINAL_TASK_STATUSES.has(task.status);
}

function isComposite(state: RunState, key: string): boolean {
  const type = state.nodes.get(key)?.spec.type;
  return type === 'parallel' || type === 'loop' || type === 'conditional';
}

function names(keys: readonly string[]): string {
  return keys.length <= NAMED ? keys.join(', ') : `${keys.slice(0, NAMED).join(', ')} and ${keys.length - NAMED} more`;
}

function iso(at: number): string {
  return new Date(at).toISOString();
}
