/**
 * The driver's half of a code run's remote steps (`ctx.step(id, fn, { queue })`), when
 * workers drive the run: an attempt becomes a work item, written with its TaskStarted
 * (RunSession.enqueue), for a worker serving the queue; that worker runs the code again up
 * to the step, with recorded results, and runs the step's function (engine/steps/replay-host.ts).
 * Its result comes back as the item completed, and is recorded here like a step run here
 * (StepAttempts), its item taken out in the same append (RunSession.consume).
 *
 * An item whose claim ran out (its worker died or lost the database) is `lost`: the attempt
 * is interrupted and runs again as a new one, with a new item. An item that no longer
 * matches an attempt awaited here (cancelled, timed out) is taken out at the next look.
 * The same bookkeeping as a file's tasks sent to workers (engine/dispatch.ts).
 */
import type { Store } from '../../store/store.js';
import type { WorkRecord } from '../../store/work.js';
import { ResultsWatch } from '../results-watch.js';
import { recordWorkerProgress } from '../progress-recorder.js';
import type { RunSession } from '../session.js';
import type { RunState } from '../state.js';
import type { Outcome } from './outcomes.js';
import { StepError } from './results.js';

interface Awaited {
  attempt: number;
  ended: (outcome: Outcome) => void;
  lost: () => void;
}

export class RemoteSteps {
  private readonly inFlight = new Map<string, Awaited>();
  /** Attempts a worker still ran when this drive picked the run up (adopt), until the code asks for them. */
  private readonly adopted = new Map<string, number>();
  private readonly watch: ResultsWatch;

  constructor(
    private readonly store: Store,
    private readonly state: RunState,
    private readonly session: RunSession,
    /** The queues the driving worker serves: a step of one of them runs here. */
    private readonly hereQueues: readonly string[] = [],
  ) {
    this.watch = new ResultsWatch(store, state.runId, () => session.wake(), () => this.inFlight.size > 0);
  }

  /** The queue a step's attempt goes to, or undefined when it runs here. */
  queueFor(queue: string | undefined): string | undefined {
    if (queue === undefined || this.state.workersQueue === undefined || this.hereQueues.includes(queue)) return undefined;
    return queue;
  }

  /**
   * Before the code runs again: the attempts its items say a worker still runs (or will)
   * are not interrupted; the code gets their results when it asks for the step.
   */
  async adopt(): Promise<ReadonlySet<string>> {
    this.watch.looked();
    const running = [...this.state.tasks].filter(([key, task]) => task.status === 'running' && this.state.nodes.get(key)?.step?.queue !== undefined);
    if (running.length === 0) return new Set();
    for (const item of await this.store.work.ofRun(this.state.runId)) {
      const task = this.state.tasks.get(item.task);
      if (task?.status === 'running' && task.attempt === item.attempt && !item.lost) this.adopted.set(item.task, item.attempt);
    }
    return new Set(this.adopted.keys());
  }

  /** The attempt a previous driver sent to a worker, still running there: awaited rather than run again. */
  takeAdopted(key: string): number | undefined {
    const attempt = this.adopted.get(key);
    this.adopted.delete(key);
    return attempt;
  }

  /** Sends an attempt (just recorded as started) to `queue`; `ended` or `lost` is called once, unless `signal` stops the wait first. */
  launch(key: string, attempt: number, queue: string, signal: AbortSignal, ended: (outcome: Outcome) => void, lost: () => void): void {
    this.session.enqueue({ run_id: this.state.runId, task: key, attempt, queue, namespace: this.state.namespace });
    this.await(key, attempt, signal, ended, lost);
  }

  /** Awaits an attempt already in the queue (adopted). */
  await(key: string, attempt: number, signal: AbortSignal, ended: (outcome: Outcome) => void, lost: () => void): void {
    this.inFlight.set(key, { attempt, ended, lost });
    // Cancelled or timed out here: the item is taken out at the next look; its worker's next renewal finds it gone.
    signal.addEventListener(
      'abort',
      () => {
        if (this.inFlight.get(key)?.attempt !== attempt) return;
        this.inFlight.delete(key);
        this.watch.poke();
        ended({ ok: false, error: new StepError('STEP_CANCELLED', `step ${key} was stopped`, false) });
      },
      { once: true },
    );
    this.watch.poke();
    this.watch.start();
  }

  get running(): number {
    return this.inFlight.size;
  }

  /** Records what came back since the last look (as Dispatch.collect does for a file's tasks). */
  async collect(): Promise<void> {
    const items = await this.watch.take();
    if (items === undefined) return;
    for (const item of items) {
      const awaited = this.inFlight.get(item.task);
      if (this.adopted.get(item.task) === item.attempt && !item.lost && item.state !== 'done') continue;
      if (awaited === undefined || awaited.attempt !== item.attempt) {
        if (this.adopted.get(item.task) !== item.attempt) this.session.consume(item.id);
        continue;
      }
      const progress = (p: WorkRecord['progress']) => recordWorkerProgress(this.state, (event) => this.session.emit(event), item.task, item.attempt, p);
      if (item.state === 'done') {
        this.inFlight.delete(item.task);
        this.session.consume(item.id);
        // Its last progress before its end.
        progress(item.result?.progress ?? item.progress);
        awaited.ended(outcomeOf(item));
      } else if (item.lost) {
        this.inFlight.delete(item.task);
        this.session.consume(item.id);
        awaited.lost();
      } else progress(item.progress);
    }
  }

  close(): void {
    this.watch.close();
  }

}

function outcomeOf(item: WorkRecord): Outcome {
  const result = item.result!;
  if (result.ok) return { ok: true, value: result.outputs.value };
  // As the worker recorded it: its code, and the exit code and stderr tail of a command that failed.
  const error = Object.assign(new StepError(result.error.code, result.error.message, result.retryable), { details: { exit_code: result.error.exit_code, stderr_tail: result.error.stderr_tail } });
  return { ok: false, error };
}
