/**
 * `baton serve`'s side of the run queue (runs/admission.ts): the admission its new runs ask
 * for, and the pump that starts queued runs when their turn comes. The pump looks when a
 * run this server drives ends, and every second for what other processes sharing the
 * store did (a `baton run` that ended, freeing a key). Each look admits, in one store
 * transaction, every queued run that may start; this server drives those nobody else
 * will: its own, and those whose process is gone (a `baton run` killed while it waited).
 * A queued run whose `baton run` still waits is only admitted: that process starts it.
 */
import type { Admission } from '../engine/admission.js';
import { admitQueued, decideNewRun, type QueueLimits } from '../runs/admission.js';
import { isOwnerGone } from '../store/ownership.js';
import type { Store } from '../store/store.js';

export interface QueueHost {
  store: Store;
  limits: QueueLimits;
  log: (line: string) => void;
  /** Starts driving an admitted run here (continueStoredRun with `start`). */
  drive: (runId: string) => void;
  isDriving: (runId: string) => boolean;
  stopping: () => boolean;
}

/** The admission of a run this server starts: decided with nothing passed over (it drives orphans itself). */
export function serverAdmission(limits: QueueLimits, priority?: number): Admission {
  return {
    ...(priority === undefined ? {} : { priority }),
    decide: (run, ask) => decideNewRun(run, ask.concurrency?.on_conflict ?? 'queue', limits, Date.now()),
  };
}

export class QueuePump {
  private looking?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly host: QueueHost) {}

  /** Looks at the queue now, or right after the look under way. */
  poke(): void {
    if (this.host.stopping()) return;
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = this.look()
      .catch((err: unknown) => this.host.log(`looking at the run queue: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        this.looking = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Looks every `everyMs` too, for what other processes sharing the store did. */
  watch(everyMs = 1000): void {
    this.timer = setInterval(() => this.poke(), everyMs);
    this.timer.unref();
    this.poke();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async look(): Promise<void> {
    const { store } = this.host;
    // Most looks find nothing queued: a read, not a write transaction, says so.
    if ((await store.runs.listRuns({ status: 'queued', limit: 1 })).length === 0) return;
    const admitted = await store.runs.decideQueue(admitQueued(this.host.limits, Date.now()));
    for (const { runId } of admitted) {
      const record = await store.runs.getRun(runId);
      if (record === undefined || this.host.isDriving(runId)) continue;
      if (record.owner !== undefined && !isOwnerGone(record)) {
        this.host.log(`run ${runId} ${record.workflow}: its turn came; the process that queued it (pid ${record.owner.pid}) starts it`);
        continue;
      }
      this.host.log(`run ${runId} ${record.workflow}: its turn came`);
      this.host.drive(runId);
    }
    // A run admitted whose process died before it started it holds its slot: start it here.
    for (const record of await store.runs.listRuns({ status: 'pending', limit: 1000 })) {
      if (record.priority === undefined || record.owner === undefined || this.host.isDriving(record.id) || !isOwnerGone(record)) continue;
      this.host.log(`run ${record.id} ${record.workflow}: admitted, and the process that was to start it is gone; starting it here`);
      this.host.drive(record.id);
    }
  }
}
