/**
 * Callbacks (`on_success` / `on_failure`, docs/workflow-format.md#callbacks): a task that
 * runs when one of its triggers ends the way it names, and is skipped when they have all
 * ended otherwise. The scheduler calls this when a trigger ends and when a run is picked up.
 */
import { TERMINAL_TASK_STATUSES } from '../store/events.js';
import type { Scheduler } from './scheduler.js';

export class Callbacks {
  constructor(private readonly scheduler: Scheduler) {}

  /** For a run picked up from its events: how many triggers of each callback have not ended yet. */
  triggersLeft(): Map<string, number> {
    const state = this.scheduler.state;
    const left = new Map<string, number>();
    for (const [trigger, callbacks] of state.plan.callbacksOf) {
      if (TERMINAL_TASK_STATUSES.has(state.task(trigger).status)) continue;
      for (const target of new Set([...callbacks.on_success, ...callbacks.on_failure])) {
        left.set(target, (left.get(target) ?? 0) + 1);
      }
    }
    return left;
  }

  /** A trigger ended: the callbacks it fires are decided, and those left with no trigger to wait for. */
  triggerEnded(key: string, onSuccess: readonly string[], onFailure: readonly string[]): void {
    const { state } = this.scheduler;
    const status = state.task(key).status;
    const fire = status === 'succeeded' ? onSuccess : status === 'failed' ? onFailure : [];
    for (const target of new Set([...onSuccess, ...onFailure])) {
      const callback = state.task(target);
      callback.triggersLeft--;
      if (callback.status !== 'pending') continue;
      if (fire.includes(target)) {
        callback.trigger = key;
        this.scheduler.decide(target);
      } else if (callback.triggersLeft <= 0) {
        // After `baton retry`, another trigger may have ended (and fired it) before.
        this.decide(target, key);
      }
    }
  }

  /**
   * A pending callback whose triggers have all ended (reopened by `baton retry`, or not
   * fired by `lastEnded`, the last to end): run it if one of them fires it, else skip it.
   */
  decide(target: string, lastEnded?: string): void {
    const { state } = this.scheduler;
    let last = lastEnded === undefined ? undefined : `${lastEnded} ${state.task(lastEnded).status}`;
    for (const [trigger, callbacks] of state.plan.callbacksOf) {
      const status = state.task(trigger).status;
      const fires = status === 'succeeded' ? callbacks.on_success : status === 'failed' ? callbacks.on_failure : [];
      if (fires.includes(target)) {
        state.task(target).trigger = trigger;
        return this.scheduler.decide(target);
      }
      if (lastEnded === undefined && (callbacks.on_success.includes(target) || callbacks.on_failure.includes(target))) last = `${trigger} ${status}`;
    }
    this.scheduler.settle(target, 'TaskSkipped', `not triggered: ${last ?? 'no trigger ended'}`);
  }
}
