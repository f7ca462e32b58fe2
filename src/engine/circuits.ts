/**
 * Circuit breakers where attempts run (docs/engine.md#circuit-breakers): an attempt of a
 * task that names a circuit asks the store's circuit (store/circuits.ts) whether it may
 * run just before its executor starts, and tells it how it ended just after. Used alike by
 * attempts run here (engine/attempts.ts) and by `baton worker`s (engine/work-runner.ts), so
 * the check holds wherever an attempt runs.
 *
 * - Refused (open, or every probe slot taken): the attempt fails at once with CIRCUIT_OPEN,
 *   without running. It is retryable, so a retry policy's delay can wait the circuit out, and
 *   an ordinary failure otherwise (a fallback takes over). It is never counted by the circuit.
 * - Admitted: the executor runs. A failure counts unless it was cancelled or the circuit's
 *   `count_on` leaves it out; a time limit's counts (EXEC_TIMEOUT). A success matters only
 *   for a probe.
 *
 * The check has to cost next to nothing when the circuit is closed (a 10,000-task run
 * through one): a circuit this process saw closed with no failures in its window is taken
 * as closed for SEEN_CLOSED_MS without asking the store, and the success of an attempt that
 * held no probe slot is not recorded at all (successes change nothing while closed). Once
 * failures count, every attempt asks the store, so the attempts after the one that opens it
 * are refused wherever they run; only failures that come faster than SEEN_CLOSED_MS from
 * none at all can let another process's attempt through on what it saw a moment before.
 *
 * What an attempt changes of a circuit (it opened it, went through as a probe, closed it)
 * is given to `changed`, which the driver records in the run's events (CircuitChanged).
 */
import { randomUUID } from 'node:crypto';
import { toTaskError } from '../executors/errors.js';
import type { Executor, ExecutorResult, TaskIO } from '../executors/types.js';
import { BatonError } from '../observability/errors.js';
import type { CircuitPolicy, LeafTask } from '../spec/model.js';
import { failuresInWindow, type CircuitChange, type CircuitOutcome, type CircuitRecord, type CircuitRef, type CircuitStore } from '../store/circuits.js';

export type { CircuitChange } from '../store/circuits.js';
import type { TaskError } from '../store/events.js';
import { formatMs } from './attempts.js';
import { clockTime } from './clock-time.js';
import { matches } from './retry.js';
import type { RunState } from './state.js';

/** How long a circuit seen closed is taken as closed without asking the store again. */
export const SEEN_CLOSED_MS = 250;

/** A circuit's refusal: the attempt did not run. Retryable: a retry after the open period may get through. */
export class CircuitOpenError extends BatonError {
  readonly retryable = true;
  readonly taskError: TaskError;

  constructor(name: string, record: CircuitRecord, now: number) {
    super('CIRCUIT_OPEN', refusal(name, record, now), { details: { circuit: name, state: record.state } });
    this.taskError = { code: 'CIRCUIT_OPEN', message: this.message, circuit: name };
  }
}

/** What a drive gives its attempts: the store's circuits, and baton.config.yaml's for a name the run's snapshot lacks. */
export interface CircuitsContext {
  breakers: CircuitBreakers;
  config?: Readonly<Record<string, CircuitPolicy>>;
}

/** One attempt going through a circuit. */
interface CircuitAttempt {
  ref: CircuitRef;
  policy: CircuitPolicy;
  run_id: string;
  task: string;
  attempt: number;
  /** How long a probe slot is held at most without an outcome: open_for, or the task's time limit when longer. */
  hold_ms: number;
  changed: (change: CircuitChange) => void;
}

/**
 * The executor an attempt of `spec` runs: `executor` behind the circuit the task names.
 * A circuit neither the run's snapshot nor the config declares fails the attempt (CIRCUIT_UNKNOWN).
 */
export function guardAttempt(executor: Executor, circuits: CircuitsContext, state: RunState, key: string, attempt: number, spec: LeafTask, changed: (change: CircuitChange) => void): Executor {
  const name = spec.circuit!;
  const policy = state.plan.workflow.circuits?.[name] ?? circuits.config?.[name];
  if (policy === undefined) {
    const error = new BatonError('CIRCUIT_UNKNOWN', `task ${key} names circuit ${name}, which neither its workflow nor baton.config.yaml declares: declare it under circuits:`);
    return { run: () => Promise.reject(error) };
  }
  const hold_ms = Math.max(policy.open_for, spec.timeout ?? 0);
  return circuits.breakers.guard(executor, { ref: { namespace: state.namespace, name }, policy, run_id: state.runId, task: key, attempt, hold_ms, changed });
}

/** The circuits of one store as this process uses them: one per store, shared by every run it drives. */
export class CircuitBreakers {
  private static readonly byStore = new WeakMap<CircuitStore, CircuitBreakers>();

  static of(store: CircuitStore): CircuitBreakers {
    let breakers = CircuitBreakers.byStore.get(store);
    if (breakers === undefined) CircuitBreakers.byStore.set(store, (breakers = new CircuitBreakers(store)));
    return breakers;
  }

  /** Circuit (namespace and name) -> until when it is taken as closed without asking the store. */
  private readonly closedUntil = new Map<string, number>();

  constructor(
    private readonly store: CircuitStore,
    private readonly now: () => number = Date.now,
  ) {}

  guard(executor: Executor, attempt: CircuitAttempt): Executor {
    const runNow = executor.runNow;
    // Closed, as seen a moment ago: a task that ends at once stays on its path without a promise.
    if (runNow !== undefined && this.seenClosed(attempt.ref)) return { run: (task, io, signal) => this.run(executor, task, io, signal, attempt), runNow: (task) => this.runNowClosed(runNow, task, attempt) };
    return { run: (task, io, signal) => this.run(executor, task, io, signal, attempt) };
  }

  private async run(executor: Executor, task: LeafTask, io: TaskIO, signal: AbortSignal, attempt: CircuitAttempt): Promise<ExecutorResult> {
    const probe = await this.admit(attempt);
    let result: ExecutorResult;
    try {
      result = executor.runNow ? executor.runNow(task) : await executor.run(task, io, signal);
    } catch (err) {
      await this.settle(attempt, probe, this.outcomeOf(err, signal, attempt.policy));
      throw err;
    }
    await this.settle(attempt, probe, 'success');
    return result;
  }

  private runNowClosed(runNow: NonNullable<Executor['runNow']>, task: LeafTask, attempt: CircuitAttempt): ExecutorResult {
    try {
      return runNow(task);
    } catch (err) {
      // Recorded after the failure it follows: the attempt has ended by then.
      void this.settle(attempt, undefined, this.outcomeOf(err, undefined, attempt.policy));
      throw err;
    }
  }

  private seenClosed(ref: CircuitRef): boolean {
    const until = this.closedUntil.get(keyOf(ref));
    return until !== undefined && until > this.now();
  }

  /** Lets the attempt through (with its probe slot's id when it holds one), or throws CircuitOpenError. */
  private async admit(attempt: CircuitAttempt): Promise<string | undefined> {
    if (this.seenClosed(attempt.ref)) return undefined;
    const at = this.now();
    const admission = await this.store.admit(attempt.ref, attempt.policy, { run_id: attempt.run_id, task: attempt.task, attempt: attempt.attempt, at, probe_id: randomUUID(), hold_ms: attempt.hold_ms });
    const key = keyOf(attempt.ref);
    if (!admission.admitted) {
      this.closedUntil.delete(key);
      throw new CircuitOpenError(attempt.ref.name, admission.record, at);
    }
    if (admission.probe === undefined) {
      this.seen(key, admission.record, at);
      return undefined;
    }
    this.closedUntil.delete(key);
    attempt.changed({ circuit: attempt.ref.name, state: 'half_open' });
    return admission.probe.id;
  }

  /** Tells the circuit how an admitted attempt ended; a success without a probe slot changes nothing, so it is not written. */
  private async settle(attempt: CircuitAttempt, probe: string | undefined, result: CircuitOutcome['result']): Promise<void> {
    if (result !== 'failure' && probe === undefined) return;
    let recorded;
    try {
      recorded = await this.store.record(attempt.ref, attempt.policy, { result, at: this.now(), ...(probe === undefined ? {} : { probe }) });
    } catch {
      // The attempt's own end is what its run records; an outcome the store could not keep
      // leaves the circuit one failure short (or a probe slot held until its claim runs out).
      return;
    }
    const record = recorded.record;
    this.seen(keyOf(attempt.ref), record, this.now());
    if (recorded.changed && record !== undefined) attempt.changed(changeOf(record));
  }

  /**
   * Remembers a circuit as read at `now`: closed with no failures in its window, it is taken
   * as closed for SEEN_CLOSED_MS; with failures counting (it may open any moment, in
   * another process too) or not closed, every attempt asks the store.
   */
  private seen(key: string, record: CircuitRecord | undefined, now: number): void {
    if (record === undefined || (record.state === 'closed' && failuresInWindow(record, now) === 0)) this.closedUntil.set(key, now + SEEN_CLOSED_MS);
    else this.closedUntil.delete(key);
  }

  /** Whether a failed attempt counts against its circuit: not when cancelled or interrupted, nor when count_on leaves it out. */
  private outcomeOf(err: unknown, signal: AbortSignal | undefined, policy: CircuitPolicy): CircuitOutcome['result'] {
    let error: TaskError;
    if (signal?.aborted) {
      if (signal.reason !== 'timeout') return 'neutral';
      error = { code: 'EXEC_TIMEOUT', message: 'timed out' };
    } else error = toTaskError(err);
    if (error.code === 'CIRCUIT_OPEN') return 'neutral';
    return policy.count_on === undefined || matches(policy.count_on, error) ? 'failure' : 'neutral';
  }
}

function changeOf(record: CircuitRecord): CircuitChange {
  const change: CircuitChange = { circuit: record.name, state: record.state };
  if (record.state === 'open') {
    if (record.opened_after !== undefined) change.failures = record.opened_after;
    change.window = record.limits.window;
    if (record.probe_at !== undefined) change.probe_at = record.probe_at;
  }
  return change;
}

/**
 * `circuit payments-api is open since 12:00:01 after 3 failures in 1m; next probe at
 * 12:00:31`, or, half-open, which probe is out.
 */
export function refusal(name: string, record: CircuitRecord, now: number): string {
  const since = record.opened_at === undefined ? '' : ` since ${clockTime(record.opened_at)}`;
  const why = record.opened_after !== undefined ? ` after ${record.opened_after} failure${record.opened_after === 1 ? '' : 's'} in ${formatMs(record.limits.window)}` : record.opened_at !== undefined ? ' after a failed probe' : '';
  if (record.state === 'open') return `circuit ${name} is open${since}${why}; next probe at ${clockTime(Math.max(record.probe_at ?? now, now))}`;
  const out = record.probes.filter((probe) => probe.until > now);
  const first = out[0];
  const which = first === undefined ? '' : ` (run ${first.run_id} task ${first.task})`;
  const latest = Math.min(...out.map((probe) => probe.until));
  return `circuit ${name} is half-open${since}${why}: ${out.length === 1 ? 'its probe attempt is' : `${out.length} probe attempts are`} out${which}; the next goes when ${out.length === 1 ? 'it ends' : 'one ends'}, at the latest ${clockTime(Number.isFinite(latest) ? latest : now)}`;
}

function keyOf(ref: CircuitRef): string {
  return `${ref.namespace}\0${ref.name}`;
}
