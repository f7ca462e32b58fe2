/**
 * Event triggers: named events (`baton emit` from any process sharing the store, POST
 * /api/events/{name}) and other runs ending (`workflow_run`), read from the store in the
 * order they were recorded and handed to the trigger hub. Where the reading got to is kept
 * in the store (trigger_cursors), so a restarted server goes on with what was recorded
 * while it was down; each event and each run end fires a workflow at most once (its
 * delivery: `event:<seq>`, `run:<id>@<ended_at>`), even read twice or by two servers.
 * Emits through this server are read at once (`poke`); the rest within `everyMs`.
 */
import { Coalesced } from '../observability/coalesced.js';
import type { EmittedEvent, EndCursor, EndedRun } from '../store/triggers.js';
import type { TriggerHost, TriggerHub } from './trigger-hub.js';

const BATCH = 500;
/**
 * Run ends are read again this far back: a run that ended a moment before another, in
 * another process, may be committed after it, and must not be skipped.
 */
const END_OVERLAP_MS = 5000;
/** Where each namespace's reading got to (the default namespace's under the names kept before namespaces). */
const cursorName = (what: 'emitted' | 'run-ends', namespace: string) => (namespace === 'default' ? `event-feed:${what}` : `event-feed:${what}:${namespace}`);

export class EventFeed {
  private timer?: NodeJS.Timeout;
  private emitted = 0;
  private ends: EndCursor = { ended_at: 0, id: '' };
  /** Run ends read within the overlap, so each is handed on once. */
  private readonly seenEnds = new Map<string, number>();

  constructor(
    private readonly host: TriggerHost,
    private readonly hub: TriggerHub,
  ) {}

  private get eventsCursor(): string {
    return cursorName('emitted', this.host.namespace);
  }

  private get runsCursor(): string {
    return cursorName('run-ends', this.host.namespace);
  }

  /**
   * Starts reading. On the very first start on a store, from now: what was emitted and
   * what ended before any server read them is history, not news.
   */
  async start(everyMs = 500): Promise<void> {
    const t = this.host.store.triggers;
    const kept = await t.getCursor(this.eventsCursor);
    this.emitted = kept === undefined ? await t.lastEmitted() : Number(kept);
    const keptEnds = await t.getCursor(this.runsCursor);
    this.ends = keptEnds === undefined ? { ended_at: Date.now(), id: '' } : (JSON.parse(keptEnds) as EndCursor);
    if (kept === undefined) await t.setCursor(this.eventsCursor, String(this.emitted));
    if (keptEnds === undefined) await t.setCursor(this.runsCursor, JSON.stringify(this.ends));
    this.timer = setInterval(() => this.poke(), everyMs);
    this.timer.unref();
  }

  /** Reads what is new now (again once the current read ends, if one is under way). */
  poke(): void {
    this.reads.poke();
  }

  /** Resolves once what was recorded before the call has been read. */
  settle(): Promise<void> {
    return this.reads.settle();
  }

  private readonly reads = new Coalesced(
    () => this.read(),
    (err: unknown) => this.host.log(`reading events for event triggers: ${String(err)}`),
  );

  private async read(): Promise<void> {
    const t = this.host.store.triggers;
    for (;;) {
      const events = await t.emittedAfter(this.emitted, BATCH);
      for (const event of events) await this.event(event);
      if (events.length > 0) {
        this.emitted = events[events.length - 1].seq;
        await t.setCursor(this.eventsCursor, String(this.emitted));
      }
      if (events.length < BATCH) break;
    }
    let from: EndCursor = { ended_at: this.ends.ended_at - END_OVERLAP_MS, id: '' };
    for (;;) {
      const ended = await t.runsEndedAfter(from, BATCH);
      for (const run of ended) {
        const key = `run:${run.id}@${run.ended_at}`;
        if (this.seenEnds.has(key)) continue;
        this.seenEnds.set(key, run.ended_at);
        await this.runEnded(run, key);
      }
      if (ended.length > 0) {
        const last = ended[ended.length - 1];
        from = { ended_at: last.ended_at, id: last.id };
        if (last.ended_at > this.ends.ended_at || (last.ended_at === this.ends.ended_at && last.id > this.ends.id)) {
          this.ends = from;
          await t.setCursor(this.runsCursor, JSON.stringify(this.ends));
        }
      }
      if (ended.length < BATCH) break;
    }
    for (const [key, at] of this.seenEnds) if (at < this.ends.ended_at - END_OVERLAP_MS) this.seenEnds.delete(key);
  }

  private async event(event: EmittedEvent): Promise<void> {
    // An event sent to one run (`baton emit --run`) is for that run's wait, not for triggers;
    // another namespace's events are not this one's to see.
    if (event.run_id !== undefined || (event.namespace ?? 'default') !== this.host.namespace) return;
    for (const { workflow, trigger } of this.hub.triggers('event')) {
      if (trigger.config.event !== event.name) continue;
      await this.hub.fire({ workflow: workflow.name, trigger, source: event.name, delivery: `event:${event.seq}`, data: { type: 'event', at: new Date(event.at).toISOString(), event: event.name, data: event.data } });
    }
  }

  private async runEnded(run: EndedRun, delivery: string): Promise<void> {
    if (run.namespace !== this.host.namespace) return;
    for (const { workflow, trigger } of this.hub.triggers('event')) {
      const want = trigger.config.workflow_run;
      if (want === undefined || want.workflow !== run.workflow) continue;
      if (want.status !== undefined && !want.status.includes(run.status)) continue;
      await this.hub.fire({
        workflow: workflow.name,
        trigger,
        source: `${run.workflow} run ${run.id} ${run.status}`,
        delivery,
        data: { type: 'event', at: new Date(run.ended_at).toISOString(), event: 'workflow_run', run: { id: run.id, workflow: run.workflow, status: run.status } },
      });
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
