/**
 * Webhooks under load (issue 10, "Bad input and load"): 1,000 signed deliveries within
 * about a second, 50 at a time over keep-alive connections, to a real `baton serve` whose
 * --webhook-rate takes them all: every one is answered 202 with its own run, and the store
 * ends with exactly those runs, all succeeded, and one `started` firing each. Then a burst
 * past a rate of 25 a second: the deliveries past it are answered 429 (Retry-After,
 * WEBHOOK_RATE) and start nothing, and every 202 has its run, no more, no fewer.
 *
 * Why 25 and not 100: a delivery that starts a run costs the server a few milliseconds (a
 * busy 2-core machine takes about 100 a second, all of it), and a rate only refuses what
 * comes faster than it refills. At 100 a second the refill keeps pace with what such a
 * machine can take, and a burst may meet no 429 at all; at 25 it cannot.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { json, killServers, project, serve, type Served } from './serve-helpers.js';

afterEach(killServers);

const SECRET = 'load-test-secret';
process.env.BATON_TEST_LOAD_SECRET = SECRET;

const HOOKED = `name: hooked
triggers:
  - type: webhook
    config: { webhook: /load, secret_env: BATON_TEST_LOAD_SECRET }
tasks:
  - id: first
    type: noop
`;

interface Answer {
  status: number;
  retryAfter?: string;
  body: { run_id?: string; firing?: number; error?: { code: string } };
}

/**
 * Sends `count` signed deliveries (each body distinct: a delivery sent twice is a replay),
 * at most `concurrency` at a time over that many keep-alive connections.
 */
async function deliver(base: string, count: number, concurrency: number): Promise<Answer[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL('/hooks/load', base);
  const one = (n: number) =>
    new Promise<Answer>((resolve, reject) => {
      const body = JSON.stringify({ delivery: n });
      const stamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', SECRET).update(`${stamp}.${body}`).digest('hex');
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-baton-timestamp': stamp, 'x-baton-signature': `sha256=${signature}` };
      const req = http.request(url, { method: 'POST', agent, headers }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, ...(retryAfter !== undefined ? { retryAfter } : {}), body: JSON.parse(text) as Answer['body'] });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  const answers: Answer[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      answers[n] = await one(n);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return answers;
}

/** Every run of the workflow, page after page. */
async function allRuns(base: string): Promise<Array<{ run_id: string; status: string }>> {
  const runs: Array<{ run_id: string; status: string }> = [];
  let cursor: string | undefined;
  do {
    const page = (await json(await fetch(`${base}/api/runs?workflow=hooked&limit=1000${cursor ? `&cursor=${cursor}` : ''}`))).body as { runs: Array<{ run_id: string; status: string }>; next_cursor?: string };
    runs.push(...page.runs);
    cursor = page.next_cursor;
  } while (cursor !== undefined);
  return runs;
}

/** The runs of the workflow once none is left unfinished. */
async function settled(s: Served): Promise<Array<{ run_id: string; status: string }>> {
  for (let i = 0; i < 600; i++) {
    const runs = await allRuns(s.base);
    if (runs.every((r) => ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(r.status))) return runs;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`runs did not end:\n${s.log().slice(-2000)}`);
}

async function startedFirings(base: string): Promise<Array<{ outcome: string; run_id?: string }>> {
  return (await json(await fetch(`${base}/api/firings?workflow=hooked&limit=1000`))).body.firings as Array<{ outcome: string; run_id?: string }>;
}

describe('webhooks under load', () => {
  it('1,000 signed deliveries 50 at a time: each answered 202 with its own run, every run recorded and succeeded, one started firing each', { timeout: 120_000 }, async () => {
    const s = await serve(project({ 'hooked.yaml': HOOKED }), '--webhook-rate', '5000');
    const answers = await deliver(s.base, 1000, 50);

    const notAccepted = answers.filter((a) => a.status !== 202);
    expect(notAccepted.slice(0, 3)).toEqual([]);
    const ids = new Set(answers.map((a) => a.body.run_id));
    expect(ids.size).toBe(1000);

    const runs = await settled(s);
    expect(runs).toHaveLength(1000);
    expect(new Set(runs.map((r) => r.run_id))).toEqual(ids);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);

    const firings = await startedFirings(s.base);
    expect(firings).toHaveLength(1000);
    expect(firings.filter((f) => f.outcome !== 'started')).toEqual([]);
    expect(new Set(firings.map((f) => f.run_id))).toEqual(ids);
    // Nothing went wrong on the way: no store busy or locked, no run that failed to start.
    expect(s.log()).not.toMatch(/STORE_|no run could start|Error/);
    expect(s.child.exitCode).toBeNull();
  });

  it('a burst past --webhook-rate 25: the rest answered 429 with Retry-After and WEBHOOK_RATE, and every 202 has its run, no more', { timeout: 60_000 }, async () => {
    const s = await serve(project({ 'hooked.yaml': HOOKED }), '--webhook-rate', '25');
    const answers = await deliver(s.base, 300, 100);

    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 429);
    expect(accepted.length + refused.length).toBe(300);
    // The bucket holds a second's worth: the first 25 of a burst pass, and a burst faster than the refill meets 429s.
    expect(accepted.length).toBeGreaterThanOrEqual(25);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r).toMatchObject({ retryAfter: '1', body: { error: { code: 'WEBHOOK_RATE' } } });

    const ids = new Set(accepted.map((a) => a.body.run_id));
    expect(ids.size).toBe(accepted.length);
    const runs = await settled(s);
    expect(new Set(runs.map((r) => r.run_id))).toEqual(ids);
    expect(runs.filter((r) => r.status !== 'succeeded')).toEqual([]);
    // Refusals past the rate are not recorded one by one: they are counted in the log, once a second.
    const firings = await startedFirings(s.base);
    expect(firings).toHaveLength(accepted.length);
    const counted = () => [...s.log().matchAll(/refused (\d+) webhook deliver(?:y|ies) past the rate of 25\/s \(429\)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    for (let i = 0; i < 50 && counted() < refused.length; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(counted()).toBe(refused.length);
  });
});
