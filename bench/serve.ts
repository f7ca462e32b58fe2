/**
 * `baton serve` (issue 10): starting a run through the HTTP API, from another process
 * (this one) against a real server: the time from sending `POST /api/workflows/{name}/runs`
 * to its 201 (the run recorded, its id back), p50 and p99 over many requests one after
 * another; and, for the same requests, how long until each run had ended, through its
 * event stream.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './serve-process.js';

export interface ServeFigures {
  p50Ms: number;
  p99Ms: number;
  /** Runs started per second, requests one after another. */
  perSecond: number;
  /** Median ms from the POST to the run's RunSucceeded event (a one-noop-task workflow). */
  endToEndMs: number;
  /** Sustained load: runs started per second, at a steady pace, for `seconds`. */
  sustained: { seconds: number; perSecond: number; p99Ms: number; failed: number; rssStartMb: number; rssEndMb: number };
}

/** The server's resident memory (MB), from /proc. */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/**
 * `rate` runs a second for `seconds`, each request sent on its own schedule (not waiting for
 * the one before), the server's memory read after a warm-up tenth and at the end.
 */
async function steadyLoad(start: () => Promise<Response>, pid: number, rate: number, seconds: number): Promise<ServeFigures['sustained']> {
  const latencies: number[] = [];
  let failed = 0;
  const pending: Promise<void>[] = [];
  const began = performance.now();
  let rssStartMb = 0;
  for (let i = 0; i < rate * seconds; i++) {
    const due = began + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (i === (rate * seconds) / 10) rssStartMb = rssMb(pid);
    const t = performance.now();
    pending.push(
      start().then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status === 201) latencies.push(performance.now() - t);
          else failed++;
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(pending);
  const took = (performance.now() - began) / 1000;
  // Let the last runs end before the memory is read.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  latencies.sort((a, b) => a - b);
  return { seconds: took, perSecond: latencies.length / took, p99Ms: percentile(latencies, 99), failed, rssStartMb, rssEndMb: rssMb(pid) };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function serveFigures(bin: string, requests: number): Promise<ServeFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-serve-'));
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  writeFileSync(path.join(dir, 'one.yaml'), 'name: one\ntasks:\n  - id: a\n    type: noop\n');
  const { child, base } = await startServer(bin, dir);
  try {
    const start = () => fetch(`${base}/api/workflows/one/runs`, { method: 'POST' });
    for (let i = 0; i < 20; i++) await (await start()).json(); // warm-up
    const times: number[] = [];
    const began = performance.now();
    for (let i = 0; i < requests; i++) {
      const t = performance.now();
      const res = await start();
      await res.json();
      if (res.status !== 201) throw new Error(`POST answered ${res.status}`);
      times.push(performance.now() - t);
    }
    const perSecond = requests / ((performance.now() - began) / 1000);
    const ends: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      const { run_id } = (await (await start()).json()) as { run_id: string };
      const text = await (await fetch(`${base}/api/runs/${run_id}/events`)).text();
      if (!text.includes('event: RunSucceeded')) throw new Error(`run ${run_id} did not succeed:\n${text}`);
      ends.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    ends.sort((a, b) => a - b);
    const sustained = await steadyLoad(start, child.pid!, 100, 60);
    return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), perSecond, endToEndMs: percentile(ends, 50), sustained };
  } finally {
    child.kill('SIGKILL');
  }
}
