/**
 * `baton serve` (issue 10): a webhook delivery to its run's first task starting. A real
 * server on the default store (SQLite in a temporary project) serves a workflow with a
 * signed webhook trigger and one noop task; this process sends signed deliveries at a
 * steady, modest rate, each on its own schedule (not waiting for the one before), and
 * keeps the wall-clock time it sent each one. Afterwards each run's events are read from
 * its event stream, and the figure is the time from sending the delivery to the `at` of
 * the run's first TaskStarted (the server's clock: the same machine's).
 *
 * A noop task: TaskStarted is recorded when the engine starts the task, before any
 * executor (a command's process) is launched, so a command task would add only its
 * spawns' load to the figure; spawning is measured by the shell rows.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './serve-process.js';

export interface WebhookFigures {
  /** Deliveries measured (after a warm-up). */
  deliveries: number;
  /** Deliveries a second they were sent at. */
  perSecond: number;
  /** Send to the first task's TaskStarted, ms. */
  startP50Ms: number;
  startP99Ms: number;
  /** Send to the 202 answer (the firing recorded, the run created), ms. */
  answerP50Ms: number;
  answerP99Ms: number;
}

const SECRET = 'bench-webhook-secret';
const WORKFLOW = `name: hooked
triggers:
  - type: webhook
    config: { webhook: /bench, secret_env: BATON_BENCH_HOOK_SECRET }
tasks:
  - id: first
    type: noop
`;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
/** Wall-clock milliseconds with sub-millisecond precision, comparable to the server's Date.now(). */
const wallClock = () => performance.timeOrigin + performance.now();

function signed(body: string): Record<string, string> {
  const stamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', SECRET).update(`${stamp}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-baton-timestamp': stamp, 'x-baton-signature': `sha256=${signature}` };
}

/** The `at` of the run's first TaskStarted, from its event stream (the run has ended by then, so the stream ends). */
async function firstTaskStart(base: string, runId: string): Promise<number> {
  const text = await (await fetch(`${base}/api/runs/${runId}/events?logs=false`)).text();
  const block = text.split('\n\n').find((b) => b.includes('event: TaskStarted\n'));
  const data = block?.split('\n').find((line) => line.startsWith('data:'));
  if (data === undefined) throw new Error(`run ${runId} has no TaskStarted:\n${text.slice(0, 2000)}`);
  return (JSON.parse(data.slice('data:'.length)) as { at: number }).at;
}

export async function webhookFigures(bin: string, deliveries: number, perSecond: number): Promise<WebhookFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-webhook-'));
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  writeFileSync(path.join(dir, 'hooked.yaml'), WORKFLOW);
  const env = { ...process.env, BATON_BENCH_HOOK_SECRET: SECRET };
  const { child, base } = await startServer(bin, dir, env);
  try {
    let n = 0;
    const deliver = async (): Promise<{ runId: string; sentAt: number; answerMs: number }> => {
      const body = JSON.stringify({ delivery: n++, ref: 'refs/heads/main' });
      const headers = signed(body);
      const sentAt = wallClock();
      const res = await fetch(`${base}/hooks/bench`, { method: 'POST', headers, body });
      const answer = (await res.json()) as { run_id?: string };
      const answerMs = wallClock() - sentAt;
      if (res.status !== 202 || answer.run_id === undefined) throw new Error(`the delivery was answered ${res.status}: ${JSON.stringify(answer)}`);
      return { runId: answer.run_id, sentAt, answerMs };
    };
    for (let i = 0; i < 20; i++) await deliver(); // warm-up

    const sent: Array<Promise<{ runId: string; sentAt: number; answerMs: number }>> = [];
    const began = performance.now();
    for (let i = 0; i < deliveries; i++) {
      const wait = began + (i * 1000) / perSecond - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sent.push(deliver());
    }
    const answered = await Promise.all(sent);
    // Let the last runs end, so each stream ends once it has sent the run's events.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const starts: number[] = [];
    for (const one of answered) starts.push((await firstTaskStart(base, one.runId)) - one.sentAt);
    const answers = answered.map((one) => one.answerMs);
    starts.sort((a, b) => a - b);
    answers.sort((a, b) => a - b);
    return {
      deliveries,
      perSecond,
      startP50Ms: percentile(starts, 50),
      startP99Ms: percentile(starts, 99),
      answerP50Ms: percentile(answers, 50),
      answerP99Ms: percentile(answers, 99),
    };
  } finally {
    child.kill('SIGKILL');
  }
}

