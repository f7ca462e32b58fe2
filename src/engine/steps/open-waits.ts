import type { RunWait, TaskError } from '../../store/events.js';
import type { RunSession } from '../session.js';
import type { RunState } from '../state.js';
import type { Answers } from './answers.js';
import type { Outcome } from './outcomes.js';
import type { WaitSpec } from './program.js';
import { StepFailed } from './results.js';

interface OpenWait {
  spec: WaitSpec;
  settle: (outcome: Outcome) => void;
  timer?: NodeJS.Timeout;
}

/**
 * A code run's open waits (sleeps, approvals, event waits): the timer of each (a sleep's
 * wake-up, a wait's timeout), the watch for answers while an approval or event is open,
 * and how each ends: recorded, then its promise settled (`ack`) or, for an answer already
 * in the log, settled at once.
 */
export class OpenWaits {
  private readonly open = new Map<string, OpenWait>();

  constructor(
    private readonly session: RunSession,
    private readonly state: RunState,
    private readonly answers: Answers,
    private readonly ack: (settle: () => void) => void,
  ) {}

  get size(): number {
    return this.open.size;
  }

  /** Only approvals and events are open (no sleep): nothing here will end by itself soon. */
  get onlyAnswers(): boolean {
    return [...this.open.values()].every((w) => w.spec.kind !== 'sleep');
  }

  /** When the nearest sleep wakes (Infinity with none). */
  get soonestSleep(): number {
    return Math.min(...[...this.open.values()].map((w) => (w.spec.kind === 'sleep' ? w.spec.until : Infinity)));
  }

  /** What the run waits for, as RunWaiting records it. */
  list(): RunWait[] {
    return [...this.open].map(([task, w]) => ({ task, ...w.spec }) as RunWait);
  }

  keys(): string[] {
    return [...this.open.keys()];
  }

  add(key: string, spec: WaitSpec, settle: (outcome: Outcome) => void): void {
    const due = spec.kind === 'sleep' ? spec.until : spec.timeout_at;
    const entry: OpenWait = { spec, settle };
    this.open.set(key, entry);
    if (spec.kind !== 'sleep') this.answers.watch();
    if (due === undefined) return;
    // Already due (a run picked up after its sleep's time, or after a wait's timeout): now.
    if (due <= this.session.now()) return this.due(key);
    entry.timer = setTimeout(() => this.due(key), due - this.session.now());
  }

  /** Forgets the wait `key` (its timer too); returns it. */
  remove(key: string): OpenWait | undefined {
    const wait = this.open.get(key);
    if (wait?.timer) clearTimeout(wait.timer);
    this.open.delete(key);
    // No approval or event left open: no answer to look for.
    if (![...this.open.values()].some((w) => w.spec.kind !== 'sleep')) this.answers.unwatch();
    return wait;
  }

  /** A sleep came due, or an approval or event wait timed out. */
  private due(key: string): void {
    const wait = this.open.get(key);
    const task = this.state.tasks.get(key);
    if (!wait || task?.status !== 'waiting') return;
    this.wakeRun();
    this.remove(key);
    if (wait.spec.kind === 'sleep') {
      this.session.emit({ type: 'TaskSucceeded', task: key, attempt: task.attempt, outputs: {} });
      this.ack(() => wait.settle({ ok: true, value: {} }));
    } else {
      const what = wait.spec.kind === 'approval' ? 'approval' : `event ${wait.spec.event}`;
      const code = wait.spec.kind === 'approval' ? 'APPROVAL_TIMEOUT' : 'EVENT_TIMEOUT';
      const error: TaskError = { code, message: `no ${what} arrived before its timeout`, not_retried: 'a wait that timed out is not retried' };
      this.session.emit({ type: 'TaskFailed', task: key, attempt: task.attempt, error, retryable: false });
      this.ack(() => wait.settle({ ok: false, error: new StepFailed(key, error) }));
    }
    this.session.wake();
  }

  /** An answer (recorded by another process, or found in the store) ended the wait `key`. */
  answered(key: string): void {
    const wait = this.open.get(key);
    if (!wait) return;
    this.wakeRun();
    this.remove(key);
    const task = this.state.task(key);
    // The answer is already in the log: no ack to wait for.
    wait.settle(task.status === 'succeeded' ? { ok: true, value: task.outputs ?? {} } : { ok: false, error: new StepFailed(key, task.error!) });
    this.session.wake();
  }

  private wakeRun(): void {
    if (this.state.status === 'waiting') this.session.emit({ type: 'RunWoke' });
  }
}
