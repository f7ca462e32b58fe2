/**
 * The gauges of `/metrics`: what the store holds now, read when Prometheus scrapes, each a
 * cheap query (indexes, a few rows), and read at most once per CACHE_MS however many
 * scrapers ask: the runs not finished by status, the work queue's depth, the live workers,
 * the circuit breakers' states.
 */
import type * as Prom from 'prom-client';
import type { CircuitState } from '../../store/circuits.js';
import type { Store } from '../../store/store.js';

/** A scrape within this long of the last reads the same figures. */
export const CACHE_MS = 1000;
/** A worker silent this long is not counted (it reports every 2 s; `baton workers` uses the same). */
const LIVE_MS = 10_000;
const RUN_STATES = ['pending', 'queued', 'running', 'waiting'] as const;
const CIRCUIT_STATES: readonly CircuitState[] = ['closed', 'open', 'half_open'];

interface Reading {
  runs: Array<{ namespace: string; counts: Record<(typeof RUN_STATES)[number], number> }>;
  depth: Array<{ queue: string; ready: number; claimed: number }>;
  workers: Map<string, number>;
  circuits: Array<{ namespace: string; name: string; state: CircuitState }>;
}

export class StoreGauges {
  private last?: { at: number; reading: Promise<Reading> };

  constructor(
    prom: typeof Prom,
    registry: Prom.Registry,
    private readonly store: Store,
    /** The namespaces whose runs are counted (those the server serves). */
    private readonly namespaces: () => readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    const registers = [registry];
    // collect() runs with the gauge as `this`: the store's figures come through this.
    const read = () => this.read();
    new prom.Gauge({
      name: 'baton_runs',
      help: 'Runs not finished now, by stored status: pending, queued (waiting for their turn), running, waiting (on a sleep, an approval or an event)',
      labelNames: ['namespace', 'status'],
      registers,
      async collect() {
        this.reset();
        for (const { namespace, counts } of (await read()).runs) for (const status of RUN_STATES) this.set({ namespace, status }, counts[status]);
      },
    });
    new prom.Gauge({
      name: 'baton_work_items',
      help: "Attempts in the work queue for workers, by queue: ready (waiting for a worker) or claimed (a worker runs them)",
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const { queue, ready, claimed } of (await read()).depth) {
          this.set({ queue, state: 'ready' }, ready);
          this.set({ queue, state: 'claimed' }, claimed);
        }
      },
    });
    new prom.Gauge({
      name: 'baton_workers',
      help: 'Live baton workers (seen in the last 10 s) subscribed to each queue',
      labelNames: ['queue'],
      registers,
      async collect() {
        this.reset();
        for (const [queue, count] of (await read()).workers) this.set({ queue }, count);
      },
    });
    new prom.Gauge({
      name: 'baton_circuit_state',
      help: 'Circuit breakers with a stored state: 1 for the state each is in (closed, open, half_open), 0 for the others',
      labelNames: ['namespace', 'circuit', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const circuit of (await read()).circuits) {
          for (const state of CIRCUIT_STATES) this.set({ namespace: circuit.namespace, circuit: circuit.name, state }, circuit.state === state ? 1 : 0);
        }
      },
    });
  }

  /** The store's figures, read again when the last reading is older than CACHE_MS. */
  read(): Promise<Reading> {
    const now = this.now();
    if (this.last === undefined || now - this.last.at >= CACHE_MS) {
      const reading = this.readStore();
      // A failed reading is not kept: the next scrape tries again.
      reading.catch(() => (this.last = undefined));
      this.last = { at: now, reading };
    }
    return this.last.reading;
  }

  private async readStore(): Promise<Reading> {
    const { store } = this;
    const [runs, depth, live, circuits] = await Promise.all([
      Promise.all(this.namespaces().map(async (namespace) => ({ namespace, counts: await store.runs.countRuns({ namespace }) }))),
      store.work.depth(),
      store.work.workers(LIVE_MS),
      store.circuits.list(),
    ]);
    const workers = new Map<string, number>();
    for (const worker of live) for (const queue of worker.queues) workers.set(queue, (workers.get(queue) ?? 0) + 1);
    return { runs, depth, workers, circuits: circuits.map((c) => ({ namespace: c.namespace, name: c.name, state: c.state })) };
  }
}
