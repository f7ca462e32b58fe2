/**
 * What metrics and notifications cost a run (issue 14: at most 10% on the 10,000-task run).
 * The 10,000-noop chain of engine-overhead.ts on a fresh SQLite file, once plain and once
 * observed: the Prometheus collector of `baton serve` following the store's feed in the same
 * process (observability/prometheus/collector.ts, reading every 100 ms instead of every
 * second, so it works throughout the run), and notifications on the run's end (the
 * workflow notifies a webhook on completion, and an alert reads the workflow's metrics),
 * decided and written with the end event and sent to a local HTTP receiver before the
 * clock stops. Runs of the two kinds alternate and the best of each is kept, so the
 * machine's drift hits both alike.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { runWorkflow } from '../src/engine/runner.js';
import { workflow } from '../src/engine/test-dsl.js';
import { MetricsCollector } from '../src/observability/prometheus/collector.js';
import { noticeMaker } from '../src/observability/notifications/rules.js';
import { NoticeSender } from '../src/observability/notifications/sender.js';
import { openStore } from '../src/store/open.js';
import { currentOwner } from '../src/store/ownership.js';
import { chain } from './engine-overhead.js';
import { inTempDir } from './sqlite-overhead.js';

export interface ObservedFigures {
  /** µs per task, plain and observed. */
  plainUs: number;
  observedUs: number;
  /** Notices the observed runs sent (one run end and one alert each). */
  sent: number;
}

export async function observedFigures(n: number, times: number): Promise<ObservedFigures> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  let plainUs = Infinity;
  let observedUs = Infinity;
  try {
    await inTempDir('baton-bench-observed-', async (dir) => {
      let count = 0;
      for (let i = 0; i < times; i++) {
        for (const observed of i % 2 === 0 ? [false, true] : [true, false]) {
          const us = await oneRun(path.join(dir, `${count++}.db`), n, observed ? url : undefined);
          if (observed) observedUs = Math.min(observedUs, us);
          else plainUs = Math.min(plainUs, us);
        }
      }
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return { plainUs, observedUs, sent: received };
}

async function oneRun(file: string, n: number, hook: string | undefined): Promise<number> {
  const store = openStore(file);
  try {
    const base = chain(n);
    const wf = workflow(base, hook === undefined ? {} : {
      notifications: { channels: ['hook'], on_completion: true, on_failure: true, on_success: false },
      alerts: [{ name: 'low-success', condition: 'metrics.success_rate < 101', channels: ['hook'] }],
    });
    const start = process.hrtime.bigint();
    if (hook === undefined) {
      const { state } = await runWorkflow({ store, owner: currentOwner(), workflow: wf, concurrency: 16 });
      if (state.status !== 'succeeded') throw new Error(`observability bench run ${state.status}`);
    } else {
      const collector = await MetricsCollector.start({ store, everyMs: 100, processMetrics: true });
      try {
        const { state } = await runWorkflow({ store, owner: currentOwner(), workflow: wf, concurrency: 16, notices: noticeMaker({}) });
        if (state.status !== 'succeeded') throw new Error(`observability bench run ${state.status}`);
        const sender = new NoticeSender({ store, channels: { hook: { type: 'webhook', url: hook, headers: {} } }, sender: 'bench' });
        const pass = await sender.sendForRun(state.runId, 10_000);
        if (pass.sent !== 2) throw new Error(`observability bench: ${pass.sent} notices sent, expected 2`);
        // What the collector has not read yet is part of the cost (a scrape, every 15 s or so, is not).
        if ((await collector.catchUp()) < 2 * n) throw new Error('observability bench: the collector read fewer events than the run has attempts');
      } finally {
        collector.stop();
      }
    }
    return Number(process.hrtime.bigint() - start) / 1000 / n;
  } finally {
    await store.close();
  }
}
