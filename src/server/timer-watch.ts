/**
 * `baton serve`'s side of the store's timers (store/timers.ts): it fires the due timers
 * of runs nobody drives. A run's owner, while it lives, fires its own timers from memory;
 * a due timer of a run whose owner is gone is claimed (of several servers sharing the
 * store, exactly one gets it) and the run goes on here, as `baton resume` would:
 * - `wake`: a waiting run's sleep or wait timeout came due with no process holding it;
 * - `retry`, `deadline`: the run was interrupted (its process died with a back-off or its
 *   time limit pending): it is taken over, and the timer fires in the drive.
 *
 * The watch sleeps until the earliest timer due within the next LOOK_MS, or LOOK_MS when
 * there is none: a sleeper wakes on time, and a timer another process adds is seen within
 * a second.
 */
import { isOwnerGone } from '../store/ownership.js';
import type { RunOwner, RunRecord, Store } from '../store/store.js';
import type { Timer, TimerClaim } from '../store/timers.js';

export interface TimerWatchHost {
  store: Store;
  /** This server, as a claimer of timers and an owner of runs. */
  owner: RunOwner;
  log(line: string): void;
  /** This server drives the run already (then its drive fires the run's timers). */
  isDriving(runId: string): boolean;
  /** Goes on with the run here (resume), in the background; the drive says in the log how it went. */
  goOn(runId: string): void;
}

/** The longest sleep between two looks: timers other processes add are seen this soon. */
const LOOK_MS = 1000;
/** Timers looked at per look: more than are ever due at once but a few (the rest wait a look). */
const BATCH = 1000;
/** A timer this server fired that is still due (its resume failed: the log says why) is fired again after this. */
const REFIRE_MS = 30_000;

export class TimerWatch {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  /** Timers fired here (run, kind, key, due time) -> when: not fired again before REFIRE_MS. */
  private readonly fired = new Map<string, number>();

  constructor(private readonly host: TimerWatchHost) {}

  start(): void {
    void this.look();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async look(): Promise<void> {
    if (this.stopped) return;
    let sleep = LOOK_MS;
    try {
      const now = Date.now();
      for (const [id, at] of this.fired) if (now - at >= REFIRE_MS) this.fired.delete(id);
      for (const timer of await this.host.store.timers.due(now + LOOK_MS, BATCH)) {
        if (this.stopped) return;
        if (timer.due_at > now) {
          // Earliest first: the first one not due yet is when to look again.
          sleep = timer.due_at - now;
          break;
        }
        await this.consider(timer, now);
      }
    } catch (err) {
      this.host.log(`looking for due timers: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.look(), Math.max(1, sleep));
  }

  /** A due timer: fired here when nobody else can or does. */
  private async consider(timer: Timer, now: number): Promise<void> {
    const { store, owner } = this.host;
    if (this.host.isDriving(timer.run_id)) return;
    const id = `${timer.run_id}\0${timer.kind}\0${timer.key}\0${timer.due_at}`;
    if (this.fired.has(id)) return;
    const run = await store.runs.getRun(timer.run_id);
    // Its owner fires it (it may be a moment late); a queued run has no timers to fire yet.
    if (run === undefined || run.status === 'queued' || !isOwnerGone(run, now)) return;
    if (!(await store.timers.claim(timer, owner, now, (claim) => claimerGone(claim, now)))) return;
    this.fired.set(id, now);
    this.host.log(`run ${timer.run_id}: ${what(timer, run)} came due at ${new Date(timer.due_at).toISOString()} with no process driving it: going on with it here`);
    this.host.goOn(timer.run_id);
  }
}

/**
 * Is the process that claimed a timer gone? Judged as a run's owner is, the claim's time
 * standing for a heartbeat: exactly on its host; elsewhere, once silent for STALE_MS (a
 * claimer that lives has taken the run by then, and its owner's heartbeat tells instead).
 */
export function claimerGone(claim: TimerClaim, now: number = Date.now()): boolean {
  return isOwnerGone({ owner: claim.by, heartbeat_at: claim.at } as RunRecord, now);
}

function what(timer: Timer, run: RunRecord): string {
  switch (timer.kind) {
    case 'wake':
      return run.status === 'waiting' ? 'its sleep or wait timeout' : 'its wake-up';
    case 'retry':
      return `the retry of ${timer.key}`;
    case 'deadline':
      return 'its time limit';
  }
}
