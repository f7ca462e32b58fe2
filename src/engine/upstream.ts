import { blockedBy } from './reasons.js';
import type { RunState } from './state.js';

/**
 * What a task's dependencies say about it once they have ended: whether a failure
 * upstream (through skipped or cancelled tasks) means it is skipped, and the reason shown
 * when it is. A pure view of the run's state, with answers kept for tasks that ended.
 */
export class Upstream {
  /** Kept answers of failed(), for tasks that ended. */
  private readonly failedUpstream = new Map<string, boolean>();

  constructor(private readonly state: RunState) {}

  /** A task that failed with `continue_on_error`: its dependants go on as if it succeeded. */
  failedButContinues(key: string): boolean {
    return this.state.task(key).status === 'failed' && this.state.nodes.get(key)!.spec.continue_on_error;
  }

  /**
   * Did a task fail somewhere upstream of `key`, through skipped tasks? Asked only of tasks
   * that ended, whose answer cannot change, so it is kept: down a long chain of skips each
   * task asks its predecessor's kept answer instead of walking back to the head.
   */
  failed(key: string): boolean {
    const known = this.failedUpstream.get(key);
    if (known !== undefined) return known;
    const seen = new Set<string>();
    const stack = [key];
    let found = false;
    while (stack.length > 0 && !found) {
      const at = stack.pop()!;
      if (seen.has(at)) continue;
      seen.add(at);
      const task = this.state.task(at);
      const kept = at === key ? undefined : this.failedUpstream.get(at);
      if (kept !== undefined) found = kept;
      else if (task.status === 'failed' && !this.failedButContinues(at)) found = true;
      else if (task.status === 'skipped' || task.status === 'cancelled') stack.push(...this.state.nodes.get(at)!.deps);
    }
    this.failedUpstream.set(key, found);
    return found;
  }

  /** Why `key` will not run: the dependencies that neither succeeded nor failed harmlessly. */
  blockedReason(key: string): string {
    const blocking: Array<{ key: string; status: string }> = [];
    for (const dep of this.state.nodes.get(key)!.deps) {
      const status = this.state.task(dep).status;
      if (status !== 'succeeded' && !this.failedButContinues(dep)) blocking.push({ key: dep, status });
    }
    return blockedBy(blocking);
  }
}
