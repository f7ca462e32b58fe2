import type { TaskError } from '../../store/events.js';
import type { RunState } from '../state.js';

/**
 * Tells a resumed code run that takes another path from the one it recorded. Steps are
 * matched by key, never by position: parallel steps that end in another order on a resume
 * match their records. The violation caught is the common one: the code asks for a step
 * the history does not have while the history has one the code has not asked for yet.
 *
 * Asking is not instant everywhere: a branch replaying recorded steps gets each result a
 * microtask later, so another branch may ask for new work first. A new step is therefore
 * checked only once every replay has had its turn (the next macrotask, when all the
 * microtasks of recorded results have run).
 */
export class Determinism {
  /** Steps the history has that this execution has not asked for yet, with when each started. */
  private readonly unasked = new Map<string, number>();
  private waiting: Array<() => void> = [];

  constructor(private readonly state: RunState) {
    for (const [key, task] of state.tasks) {
      if (task.status !== 'pending' && state.nodes.get(key)?.step !== undefined) this.unasked.set(key, task.firstStartedAt ?? 0);
    }
  }

  /** Does the history still have steps not asked for? While it has none, new steps need no check. */
  get outstanding(): boolean {
    return this.unasked.size > 0;
  }

  /** A check is pending: the run is not idle. */
  get checking(): boolean {
    return this.waiting.length > 0;
  }

  asked(key: string): void {
    this.unasked.delete(key);
  }

  /** Calls `then` once the replays now under way have had their turn. */
  check(then: () => void): void {
    if (this.waiting.length === 0) {
      setImmediate(() => {
        const waiting = this.waiting;
        this.waiting = [];
        for (const go of waiting) go();
      });
    }
    this.waiting.push(then);
  }

  /** The error when the history still has a step the code has not asked for, when it asks for `key`. */
  divergence(key: string): TaskError | undefined {
    if (this.unasked.size === 0) return undefined;
    const [recorded] = [...this.unasked].sort((a, b) => a[1] - b[1])[0];
    const runId = this.state.runId;
    return {
      code: 'RUN_NONDETERMINISTIC',
      message:
        `the code asked for step ${key}, which this run's history does not have, while the history has step ${recorded} that the code has not asked for: ` +
        `it took another path than when the run started (new code, or code that reads a clock, random numbers or the environment outside steps). ` +
        `Run the steps again from the one it recorded with \`baton retry ${runId} --from ${recorded}\`; if the code changed on purpose, add --new-code`,
    };
  }
}
