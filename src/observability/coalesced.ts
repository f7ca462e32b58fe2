/**
 * A piece of work asked for now and again (read what is new in the store, send what is due)
 * that runs one at a time: asked while it runs, it runs once more when it ends, however often
 * it was asked meanwhile. The event triggers' feed, the /metrics collector and the
 * notification sender each keep one, poked by a timer and by what they hear of.
 */
export class Coalesced {
  private running?: Promise<void>;
  private again = false;

  constructor(
    private readonly work: () => Promise<unknown>,
    /** What went wrong with a run of it (the next poke tries again). */
    private readonly failed: (err: unknown) => void,
    /** Once true, a run asked for meanwhile is not started. */
    private readonly stopped: () => boolean = () => false,
  ) {}

  /** Runs it now, or once more after the run under way. */
  poke(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.work()
      .then(
        () => undefined,
        (err: unknown) => this.failed(err),
      )
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped()) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves once the run under way, and those asked for meanwhile, are done. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }
}
