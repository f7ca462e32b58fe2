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
import { Coalesced } from '../coalesced.js';
import type * as Prom from 'prom-client';
import type { Store } from '../../store/store.js';
import type { FeedReader } from '../../store/run-feed.js';
import { FeedFold, FOLDED_TYPES } from './feed-fold.js';
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

/** The events the fold looks at (feed-fold.ts); the others (TaskReady, TaskExpanded...) are passed over unread. */
const FOLDED: ReadonlySet<string> = new Set(FOLDED_TYPES);

export class MetricsCollector {
  private reader?: FeedReader;
  private timer?: NodeJS.Timeout;
  private lastProblem?: string;
  private read_ = 0;
  /** The process's metrics (process-registry below), when asked for. */
  private process?: Prom.Registry;

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
    const metrics = new MetricSet(prom, registry);
    new StoreGauges(prom, registry, options.store, options.namespaces ?? (() => ['default']));
    const caps = new LabelCaps();
    const earlier = async (runId: string, beforeSeq: number) => (await options.store.runs.readEvents(runId)).filter((event) => event.seq < beforeSeq);
    const collector = new MetricsCollector(options, registry, metrics, new FeedFold(metrics, earlier, caps), caps);
    if (options.processMetrics ?? true) collector.process = processRegistry(prom);
    collector.reader = await options.store.feed.follow();
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

  /** Events read from the store since it started. */
  get eventsRead(): number {
    return this.read_;
  }

  /** Reads what the store holds now that it has not read yet; resolves with the events read since it started. */
  async catchUp(): Promise<number> {
    this.poke();
    await this.settle();
    return this.read_;
  }

  /**
   * The metrics in Prometheus' text format, with the feed read up to now first. `namespace`:
   * only that namespace's series of those that have a namespace label (a token of one
   * namespace sees no other's workflows); `*` or none: all.
   */
  async render(namespace?: string): Promise<string> {
    await this.catchUp();
    const text = (await this.registry.metrics()) + (this.process ? `\n${await this.process.metrics()}` : '');
    return namespace === undefined || namespace === '*' ? text : onlyNamespace(text, namespace);
  }

  /** A trigger firing this server handled (server/trigger-hub.ts). */
  fired(namespace: string, workflow: string, kind: string, outcome: FiringOutcome): void {
    this.metrics.fired(this.caps.run(namespace, workflow), kind, outcome);
  }

  /** Reads what is new in the feed now (again once the current read ends, if one is under way). */
  poke(): void {
    this.reads.poke();
  }

  /** Resolves once the reads under way (and those asked for meanwhile) are done. */
  settle(): Promise<void> {
    return this.reads.settle();
  }

  private readonly reads = new Coalesced(
    async () => {
      await this.read();
      this.lastProblem = undefined;
    },
    (err: unknown) => {
      const problem = err instanceof Error ? err.message : String(err);
      // Said once, not every second while the store is down.
      if (problem !== this.lastProblem) this.options.log?.(`metrics: cannot read the store's events: ${problem}; trying again`);
      this.lastProblem = problem;
    },
  );

  stop(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<void> {
    const batch = this.options.batch ?? 1000;
    for (;;) {
      const events = await this.reader!.read(batch, FOLDED);
      await this.fold.add(events);
      this.metrics.eventsRead.inc(events.length);
      this.read_ += events.length;
      if (events.length < batch) return;
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

let processMetrics: Prom.Registry | undefined;

/**
 * prom-client's process metrics (CPU, memory, event loop lag, GC), named `baton_*`: one
 * registry per process, whatever the number of collectors, since what they watch (a GC
 * observer, the event loop's delay) is the process's and is never let go.
 */
function processRegistry(prom: typeof Prom): Prom.Registry {
  if (processMetrics === undefined) {
    processMetrics = new prom.Registry();
    prom.collectDefaultMetrics({ register: processMetrics, prefix: 'baton_' });
  }
  return processMetrics;
}
