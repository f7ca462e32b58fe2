/**
 * What `baton serve` answers `/metrics` with (docs/observability.md): prom-client's registry
 * of baton's metrics, loaded only when a server starts (never by `baton run`).
 *
 * Counters and histograms follow the store's run feed (store/run-feed.ts) from the moment
 * the server starts: every run's events, recorded by this server, another one, a `baton
 * run` or a worker sharing the store, are folded in (feed-fold.ts) within `everyMs`, and at
 * once before a scrape is answered. They start at zero on each start, as Prometheus
 * expects of counters (rate() takes resets in its stride). Gauges are read from the store
 * when scraped (store-gauges.ts). Process metrics are prom-client's defaults, named
 * `baton_process_*` and `baton_nodejs_*`.
 */
import type * as Prom from 'prom-client';
import type { Store } from '../../store/store.js';
import type { FeedPosition } from '../../store/run-feed.js';
import { FeedFold } from './feed-fold.js';
import { LabelCaps } from './labels.js';
import { MetricSet, type FiringOutcome } from './metric-set.js';
import { StoreGauges } from './store-gauges.js';

export interface CollectorOptions {
  store: Store;
  /** The namespaces whose unfinished runs the `baton_runs` gauge counts; default `default`. */
  namespaces?: () => readonly string[];
  /** How often the feed is read between scrapes, ms; default 1000. */
  everyMs?: number;
  /** Events read per query; default 1000. */
  batch?: number;
  /** Process metrics (CPU, memory, event loop, GC); default true. */
  processMetrics?: boolean;
  /** A line for the server's log: a failed read of the feed. */
  log?: (line: string) => void;
}

export class MetricsCollector {
  private position: FeedPosition = '';
  private timer?: NodeJS.Timeout;
  private reading?: Promise<void>;
  private again = false;
  private lastProblem?: string;

  private constructor(
    private readonly options: CollectorOptions,
    private readonly registry: Prom.Registry,
    private readonly metrics: MetricSet,
    private readonly fold: FeedFold,
    private readonly caps: LabelCaps,
  ) {}

  /** Loads prom-client, makes the metrics, and starts following the feed from its end now. */
  static async start(options: CollectorOptions): Promise<MetricsCollector> {
    const prom = await import('prom-client');
    const registry = new prom.Registry();
    if (options.processMetrics ?? true) prom.collectDefaultMetrics({ register: registry, prefix: 'baton_' });
    const metrics = new MetricSet(prom, registry);
    new StoreGauges(prom, registry, options.store, options.namespaces ?? (() => ['default']));
    const caps = new LabelCaps();
    const earlier = async (runId: string, beforeSeq: number) => (await options.store.runs.readEvents(runId)).filter((event) => event.seq < beforeSeq);
    const collector = new MetricsCollector(options, registry, metrics, new FeedFold(metrics, earlier, caps), caps);
    collector.position = await options.store.feed.end();
    collector.timer = setInterval(() => collector.poke(), options.everyMs ?? 1000);
    collector.timer.unref();
    return collector;
  }

  /** The content type of the text `render` gives. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Runs whose state the fold keeps now (for the benchmark and tests). */
  get trackedRuns(): number {
    return this.fold.tracked;
  }

  /**
   * The metrics in Prometheus' text format, with the feed read up to now first. `namespace`:
   * only that namespace's series of those that have a namespace label (a token of one
   * namespace sees no other's workflows); `*` or none: all.
   */
  async render(namespace?: string): Promise<string> {
    this.poke();
    await this.settle();
    const text = await this.registry.metrics();
    return namespace === undefined || namespace === '*' ? text : onlyNamespace(text, namespace);
  }

  /** A trigger firing this server handled (server/trigger-hub.ts). */
  fired(namespace: string, workflow: string, kind: string, outcome: FiringOutcome): void {
    this.metrics.fired(this.caps.run(namespace, workflow), kind, outcome);
  }

  /** Reads what is new in the feed now (again once the current read ends, if one is under way). */
  poke(): void {
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read()
      .then(
        () => (this.lastProblem = undefined),
        (err: unknown) => {
          const problem = err instanceof Error ? err.message : String(err);
          // Said once, not every second while the store is down.
          if (problem !== this.lastProblem) this.options.log?.(`metrics: cannot read the store's events: ${problem}; trying again`);
          this.lastProblem = problem;
        },
      )
      .finally(() => {
        this.reading = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  /** Resolves once the reads under way (and those asked for meanwhile) are done. */
  async settle(): Promise<void> {
    while (this.reading) await this.reading;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<void> {
    const batch = this.options.batch ?? 1000;
    for (;;) {
      const page = await this.options.store.feed.after(this.position, batch);
      await this.fold.add(page.events);
      this.metrics.eventsRead.inc(page.events.length);
      this.position = page.position;
      if (page.events.length < batch) return;
    }
  }
}

/** The text without the samples of other namespaces (those with a namespace label that is not `namespace`). */
export function onlyNamespace(text: string, namespace: string): string {
  const mine = `namespace="${namespace}"`;
  return text
    .split('\n')
    .filter((line) => line.startsWith('#') || !/[{,]namespace="/.test(line) || line.includes(`{${mine}`) || line.includes(`,${mine}`))
    .join('\n');
}
