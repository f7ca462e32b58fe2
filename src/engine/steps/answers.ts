import { HEARTBEAT_MS } from '../../store/ownership.js';
import type { RunSession } from '../session.js';
import type { RunState } from '../state.js';

/**
 * Answers to a code run's approvals and event waits that another process recorded while
 * this one drives the run (`baton approve`, `baton emit`: WaitAnswered). While a wait is
 * open, the run's new events are read every heartbeat; the ones this process did not
 * append are answers, folded into the state like its own events.
 */
export class Answers {
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly session: RunSession,
    private readonly state: RunState,
    private readonly answered: (key: string) => void,
  ) {}

  watch(): void {
    if (this.timer) return;
    this.session.trackOwnEvents(true);
    this.timer = setInterval(() => void this.poll().catch(() => {}), HEARTBEAT_MS);
    this.timer.unref();
  }

  unwatch(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.session.trackOwnEvents(false);
  }

  stop(): void {
    this.unwatch();
  }

  /** Reads answers recorded since the last look; true when one ended a wait. */
  async poll(): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    try {
      let any = false;
      for (const event of await this.session.foreignEvents()) {
        if (event.type !== 'WaitAnswered') continue;
        const before = this.state.tasks.get(event.task)?.status;
        this.state.apply(event);
        if (before === 'waiting' && this.state.task(event.task).status !== 'waiting') {
          any = true;
          this.answered(event.task);
        }
      }
      return any;
    } finally {
      this.busy = false;
    }
  }
}
