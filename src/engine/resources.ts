/**
 * Resource pools in a graph run (store/pools.ts; docs/decisions/0013-resource-pools.md).
 *
 * A ready leaf task that declares `resources` does not start from the scheduler's queue:
 * the scheduler parks it here (parks), and the graph driver's loop calls step(), which
 * 1. frees the pools of attempts that have ended (succeeded, failed, cancelled, timed out),
 * 2. for each parked task, while the run has a free concurrency slot, asks the store for
 *    everything the task needs at once. Granted: the task starts (TaskStarted, launch).
 *    Refused: it stays parked and ready, its wait recorded once per attempt
 *    (TaskAwaitingResources: which pools, held by which run and task), and the loop is
 *    woken when this process frees a hold (another run in `baton serve`, or this one), or
 *    after POLL_MS, to ask again about holds of other processes.
 * A task asking for a pool the configuration lacks, or for more than a pool has, fails at
 * once (it could never start). Whatever the run holds is freed when its drive ends, however
 * it ends; a process killed outright leaves holds the next acquirer frees as its run's
 * owner is gone. A run whose workflow declares no resources has no gate: its loop is as
 * it was.
 */
import { isOwnerGone } from '../store/ownership.js';
import type { PoolShortage, PoolStore } from '../store/pools.js';
import type { PoolWait, TaskError } from '../store/events.js';
import type { RunOwner } from '../store/store.js';
import type { TaskSpec, Workflow } from '../spec/model.js';
import { didYouMean } from '../spec/suggest.js';
import type { Scheduler } from './scheduler.js';
import type { RunSession } from './session.js';
import { DEFAULT_NAMESPACE } from '../store/events.js';

/** How often a parked task asks again, for holds another process frees (it is woken at once for this one's). */
export const POOL_POLL_MS = 250;
/** Holders recorded per pool in TaskAwaitingResources. */
const HOLDERS_RECORDED = 5;

export interface GateContext {
  scheduler: Scheduler;
  session: RunSession;
  pools: PoolStore;
  /** pool -> capacity (DriveOptions.resources). */
  capacities: Readonly<Record<string, number>>;
  /** Leaf tasks the run may have running at once. */
  concurrency: number;
  owner?: RunOwner;
}

export class ResourceGate {
  private parked: string[] = [];
  private readonly parkedSet = new Set<string>();
  /** Pools found short during the current step: later tasks asking for them wait without asking the store. */
  private readonly short = new Map<string, PoolShortage>();
  /** Task -> the attempt its holds were taken for. */
  private readonly held = new Map<string, number>();
  /** Task -> the attempt whose wait was recorded. */
  private readonly told = new Map<string, number>();
  private readonly stop = new AbortController();
  private polling = false;

  constructor(private readonly run: GateContext) {}

  /** Does this workflow have any task that asks for pools (at any depth, loop templates included)? */
  static needed(workflow: Workflow): boolean {
    const asks = (spec: TaskSpec | undefined): boolean => {
      if (spec === undefined) return false;
      if (spec.resources !== undefined) return true;
      if (spec.type === 'parallel') return spec.tasks.some(asks);
      if (spec.type === 'loop') return asks(spec.task);
      return spec.type === 'conditional' && (asks(spec.then) || asks(spec.else));
    };
    return workflow.tasks.some(asks);
  }

  /** Called by the scheduler for a ready leaf task it would start: true when the task waits here for its pools instead. */
  parks(key: string): boolean {
    if (this.run.scheduler.specOf(key).resources === undefined) return false;
    if (!this.parkedSet.has(key)) {
      this.parkedSet.add(key);
      this.parked.push(key);
    }
    this.run.session.wake();
    return true;
  }

  /** Tasks waiting here: the run is not stuck while there are any. */
  get waiting(): boolean {
    return this.parked.length > 0;
  }

  /** Frees the pools of ended attempts, then starts the parked tasks that get theirs. */
  async step(): Promise<void> {
    const { scheduler, session, pools } = this.run;
    const state = scheduler.state;
    for (const [key, attempt] of this.held) {
      const task = state.task(key);
      if (task.status === 'running' && task.attempt === attempt) continue;
      this.held.delete(key);
      await pools.release(state.runId, key);
    }
    if (this.parked.length === 0) return;
    let free = this.run.concurrency - scheduler.running;
    const still: string[] = [];
    this.short.clear();
    for (const key of this.parked) {
      // Cancelled or skipped while it waited: it no longer asks.
      if (state.task(key).status !== 'ready' || session.stopping) continue;
      // In the order they became ready: a task does not overtake an earlier one for a pool that was short.
      if (free <= 0 || this.asksShort(key)) still.push(key);
      else if (await this.tryStart(key)) free--;
      else if (state.task(key).status === 'ready') still.push(key);
    }
    this.parked = still;
    this.parkedSet.clear();
    for (const key of still) this.parkedSet.add(key);
    if (still.length > 0) this.waitForRoom();
  }

  /** At the end of the drive: frees what the run holds (unless another process took the run over, whose holds they may now be). */
  async close(): Promise<void> {
    this.stop.abort();
    this.parked = [];
    this.parkedSet.clear();
    if (this.run.session.lost !== undefined) return;
    this.held.clear();
    await this.run.pools.release(this.run.scheduler.state.runId);
  }

  /** Takes the task's pools and starts it; false when it must wait (or failed for asking the impossible). */
  private async tryStart(key: string): Promise<boolean> {
    const { scheduler, session, pools, capacities } = this.run;
    const state = scheduler.state;
    const wants = scheduler.specOf(key).resources!;
    const attempt = state.task(key).attempt + 1;
    const impossible = refusal(key, wants, capacities);
    if (impossible !== undefined) {
      scheduler.emit({ type: 'TaskStarted', task: key, attempt });
      scheduler.fail(key, attempt, impossible, false);
      return false;
    }
    const owner = this.run.owner;
    // Pools are per namespace: another namespace's `db` is another pool with the same capacity.
    const scope = poolScope(state.namespace);
    const acquired = await pools.acquire({ run_id: state.runId, task: key, attempt, ...(owner ? { owner } : {}), wants: scope.in(wants), capacities: scope.in(capacities), at: session.now() }, isOwnerGone);
    const result = acquired.acquired ? acquired : { ...acquired, short: acquired.short.map((short) => ({ ...short, pool: scope.out(short.pool) })) };
    if (state.task(key).status !== 'ready' || session.stopping) {
      if (result.acquired) await pools.release(state.runId, key);
      return false;
    }
    if (!result.acquired) {
      for (const short of result.short) this.short.set(short.pool, short);
      this.record(key, attempt, result.short);
      return false;
    }
    this.held.set(key, attempt);
    scheduler.emit({ type: 'TaskStarted', task: key, attempt });
    scheduler.running++;
    scheduler.effects.launch.push(key);
    return true;
  }

  /** Does the task ask for a pool found short in this step? Then its wait is recorded as that pool's. */
  private asksShort(key: string): boolean {
    if (this.short.size === 0) return false;
    const wants = this.run.scheduler.specOf(key).resources!;
    const short = Object.entries(wants).flatMap(([pool, amount]) => {
      const found = this.short.get(pool);
      return found ? [{ ...found, wants: amount }] : [];
    });
    if (short.length === 0) return false;
    this.record(key, this.run.scheduler.state.task(key).attempt + 1, short);
    return true;
  }

  /** Records, once per attempt, that the task waits for these pools. */
  private record(key: string, attempt: number, short: readonly PoolShortage[]): void {
    if (this.told.get(key) === attempt) return;
    this.told.set(key, attempt);
    this.run.scheduler.emit({ type: 'TaskAwaitingResources', task: key, attempt, pools: short.map(poolWait) });
  }

  /** Wakes the loop when this process frees a hold, or after POLL_MS; one such wait at a time. */
  private waitForRoom(): void {
    if (this.polling) return;
    this.polling = true;
    void this.run.pools.waitForRelease({ timeoutMs: POOL_POLL_MS, signal: this.stop.signal }).then(() => {
      this.polling = false;
      this.run.session.wake();
    });
  }
}

/** A namespace's pool names as the store keeps them (`<namespace>/<pool>`; the default namespace's as they are). */
function poolScope(namespace: string): { in: (byPool: Readonly<Record<string, number>>) => Record<string, number>; out: (pool: string) => string } {
  if (namespace === DEFAULT_NAMESPACE) return { in: (byPool) => ({ ...byPool }), out: (pool) => pool };
  const prefix = `${namespace}/`;
  return {
    in: (byPool) => Object.fromEntries(Object.entries(byPool).map(([pool, n]) => [prefix + pool, n])),
    out: (pool) => (pool.startsWith(prefix) ? pool.slice(prefix.length) : pool),
  };
}

/** Why a task can never get what it asks for, if it cannot. */
function refusal(key: string, wants: Readonly<Record<string, number>>, capacities: Readonly<Record<string, number>>): TaskError | undefined {
  for (const [pool, amount] of Object.entries(wants)) {
    const capacity = capacities[pool];
    if (capacity === undefined) {
      const known = Object.keys(capacities);
      const declared = known.length === 0 ? 'which declares no pools' : `whose pools are ${known.join(', ')}`;
      return { code: 'RESOURCE_UNKNOWN', message: `${key} asks for pool '${pool}'${didYouMean(pool, known)}, which is not in baton.config.yaml's resources (${declared}): add it there, then baton retry` };
    }
    if (amount > capacity) return { code: 'RESOURCE_OVER_CAPACITY', message: `${key} asks for ${amount} of pool '${pool}', which has ${capacity}: it could never start` };
  }
  return undefined;
}

function poolWait(short: PoolShortage): PoolWait {
  const held_by = short.held_by.slice(0, HOLDERS_RECORDED).map((hold) => ({ run: hold.run_id, task: hold.task, amount: hold.amount }));
  return { pool: short.pool, wants: short.wants, capacity: short.capacity, in_use: short.in_use, held_by };
}
