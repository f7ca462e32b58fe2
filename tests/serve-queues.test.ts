/**
 * The run queue end to end: concurrency keys (queue, skip, cancel-running), the global
 * limit, priority, a queue kept across a killed server, and `baton run` and `baton serve`
 * honouring one limit on one store. Real servers, real HTTP, real CLI processes. The
 * tasks wait for a gate file the test creates, so the order of events is the test's, not
 * the clock's.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, batonAsync } from './helpers.js';
import { json, killServers, project, serve, sse, type Served } from './serve-helpers.js';

afterEach(killServers);

/** A workflow whose one task waits until the file its `gate` input names exists. */
function gated(name: string, concurrency = '') {
  return `name: ${name}\ninputs:\n  env: {type: string, default: qa}\n  gate: {type: string}\n${concurrency}tasks:\n  - id: work\n    command: while [ ! -f "$GATE" ]; do sleep 0.05; done; echo done\n    environment: { GATE: "\${ inputs.gate }" }\n`;
}
const DEPLOY = gated('deploy', 'concurrency:\n  key: deploy-${ inputs.env }\n');
const SKIP = gated('once', 'concurrency: {on_conflict: skip}\n');
const REPLACE = gated('preview', 'concurrency: {key: "preview-${ inputs.env }", on_conflict: cancel-running}\n');

async function start(s: Served, workflow: string, body: Record<string, unknown>): Promise<{ run_id: string; status: string }> {
  const res = await json(await fetch(`${s.base}/api/workflows/${workflow}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { run_id: string; status: string };
}

async function run(s: Served, id: string): Promise<Record<string, unknown> & { status: string }> {
  return (await json(await fetch(`${s.base}/api/runs/${id}`))).body as Record<string, unknown> & { status: string };
}

async function waitFor(s: Served, id: string, status: string, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await run(s, id);
    if (now.status === status) return now;
    if (Date.now() > deadline) throw new Error(`run ${id} is ${now.status}, not ${status}:\n${s.log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** When each of the run's events happened, by type (the first of each). */
async function times(s: Served, id: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await sse(`${s.base}/api/runs/${id}/events?logs=false`)) out[e.event] ??= e.data.at as number;
  return out;
}

const open = (gate: string) => writeFileSync(gate, '');

describe('baton serve: the run queue', () => {
  it('queues a second run of a busy key (position 1), and starts it when the first ends', async () => {
    const dir = project({ 'deploy.yaml': DEPLOY });
    const gate = path.join(dir, 'gate');
    const s = await serve(dir);
    const first = await start(s, 'deploy', { inputs: { gate } });
    expect(first.status).toBe('pending');
    await waitFor(s, first.run_id, 'running');
    const second = await start(s, 'deploy', { inputs: { gate } });
    expect(second.status).toBe('queued');
    // Another key is not held up.
    const other = await start(s, 'deploy', { inputs: { gate: path.join(dir, 'deploy.yaml'), env: 'prod' } });
    expect(other.status).toBe('pending');
    await waitFor(s, other.run_id, 'succeeded');

    expect(await run(s, second.run_id)).toMatchObject({ status: 'queued', concurrency_key: 'deploy-qa', priority: 0, queue: { position: 1, reason: 'concurrency', behind: [first.run_id] } });
    const listed = (await json(await fetch(`${s.base}/api/runs?status=queued`))).body.runs as Array<{ run_id: string; queue: { position: number } }>;
    expect(listed.map((r) => [r.run_id, r.queue.position])).toEqual([[second.run_id, 1]]);

    open(gate);
    await waitFor(s, second.run_id, 'succeeded');
    const [a, b] = [await times(s, first.run_id), await times(s, second.run_id)];
    expect(Object.keys(b)).toEqual(['RunCreated', 'RunQueued', 'RunAdmitted', 'RunStarted', 'TaskReady', 'TaskStarted', 'TaskSucceeded', 'RunSucceeded']);
    expect(b.RunStarted).toBeGreaterThanOrEqual(a.RunSucceeded);
  });

  it('skips a run whose key is busy (on_conflict: skip): recorded cancelled, with why', async () => {
    const dir = project({ 'once.yaml': SKIP });
    const gate = path.join(dir, 'gate');
    const s = await serve(dir);
    const first = await start(s, 'once', { inputs: { gate } });
    await waitFor(s, first.run_id, 'running');
    const second = await start(s, 'once', { inputs: { gate } });
    expect(second.status).toBe('cancelled');
    expect(await run(s, second.run_id)).toMatchObject({ status: 'cancelled', reason: `skipped: concurrency key once is full (limit 1; run ${first.run_id} holds it)` });
    expect((await times(s, second.run_id)).RunStarted).toBeUndefined();
    open(gate);
    await waitFor(s, first.run_id, 'succeeded');
  });

  it('cancels the running run of the key (on_conflict: cancel-running) and starts the new one once it has ended', async () => {
    const dir = project({ 'preview.yaml': REPLACE });
    const s = await serve(dir);
    const first = await start(s, 'preview', { inputs: { gate: path.join(dir, 'never') } });
    await waitFor(s, first.run_id, 'running');
    const second = await start(s, 'preview', { inputs: { gate: path.join(dir, 'preview.yaml') } });
    expect(second.status).toBe('queued');
    expect(await waitFor(s, first.run_id, 'cancelled')).toMatchObject({ reason: expect.stringContaining(`cancelled for run ${second.run_id}`) });
    await waitFor(s, second.run_id, 'succeeded');
    expect((await times(s, second.run_id)).RunStarted).toBeGreaterThanOrEqual((await times(s, first.run_id)).RunCancelled);
  });

  it('holds runs past --max-running in the queue, and starts them by priority, ties in arrival order', async () => {
    const dir = project({ 'a.yaml': gated('a'), 'b.yaml': gated('b') });
    const gate = path.join(dir, 'gate');
    const s = await serve(dir, '--max-running', '1');
    const blocker = await start(s, 'a', { inputs: { gate } });
    await waitFor(s, blocker.run_id, 'running');
    const done = path.join(dir, 'a.yaml');
    const low1 = await start(s, 'b', { inputs: { gate: done } });
    const low2 = await start(s, 'a', { inputs: { gate: done } });
    const high = await start(s, 'b', { inputs: { gate: done }, priority: 5 });
    expect([low1.status, low2.status, high.status]).toEqual(['queued', 'queued', 'queued']);
    expect(await run(s, low1.run_id)).toMatchObject({ queue: { position: 2, reason: 'max_running' } });
    expect(await run(s, high.run_id)).toMatchObject({ priority: 5, queue: { position: 1 } });
    open(gate);
    for (const r of [low1, low2, high]) await waitFor(s, r.run_id, 'succeeded');
    const started = await Promise.all([blocker, high, low1, low2].map(async (r) => (await times(s, r.run_id)).RunStarted));
    expect([...started].sort((x, y) => x - y)).toEqual(started);
    // One at a time: each started after the one before it ended.
    const ended = await Promise.all([blocker, high, low1].map(async (r) => (await times(s, r.run_id)).RunSucceeded));
    ended.forEach((end, i) => expect(started[i + 1]).toBeGreaterThanOrEqual(end));
  });

  it('gives the runs a trigger starts the priority the trigger declares', async () => {
    const dir = project({ 'a.yaml': gated('a') });
    const gate = path.join(dir, 'gate');
    writeFileSync(path.join(dir, 'urgent.yaml'), gated('urgent', `trigger:\n  type: event\n  config: {event: page, priority: 7, inputs: {gate: "${path.join(dir, 'a.yaml')}"}}\n`));
    const s = await serve(dir, '--max-running', '1');
    const blocker = await start(s, 'a', { inputs: { gate } });
    await waitFor(s, blocker.run_id, 'running');
    const low = await start(s, 'a', { inputs: { gate: path.join(dir, 'a.yaml') } });
    await fetch(`${s.base}/api/events/page`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    let fired: { run_id: string } | undefined;
    for (const deadline = Date.now() + 20_000; fired === undefined && Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      fired = ((await json(await fetch(`${s.base}/api/runs?workflow=urgent`))).body.runs as Array<{ run_id: string }>)[0];
    }
    expect(await run(s, fired!.run_id)).toMatchObject({ status: 'queued', priority: 7, queue: { position: 1 } });
    // And a run started with `baton run --server ... --priority`.
    const remote = baton(['run', '--server', s.base, 'a', '-i', `gate=${path.join(dir, 'a.yaml')}`, '--priority', '3', '--detach'], { cwd: dir });
    expect(remote.stderr).toContain('queued; the server starts it in its turn');
    expect(await run(s, remote.stdout.trim())).toMatchObject({ status: 'queued', priority: 3, queue: { position: 2 } });
    expect(await run(s, low.run_id)).toMatchObject({ queue: { position: 3 } });
    open(gate);
    await waitFor(s, low.run_id, 'succeeded');
    expect((await times(s, fired!.run_id)).RunStarted).toBeLessThan((await times(s, low.run_id)).RunStarted);
  });

  it('keeps its queue across a killed server: the next one starts the queued runs in their order', async () => {
    const dir = project({ 'deploy.yaml': DEPLOY });
    const gate = path.join(dir, 'gate');
    const first = await serve(dir);
    const holder = await start(first, 'deploy', { inputs: { gate } });
    await waitFor(first, holder.run_id, 'running');
    const q1 = await start(first, 'deploy', { inputs: { gate } });
    const q2 = await start(first, 'deploy', { inputs: { gate }, priority: 1 });
    first.child.kill('SIGKILL');
    await first.exited;

    const again = await serve(dir);
    expect(await run(again, q2.run_id)).toMatchObject({ status: 'queued', queue: { position: 1 } });
    expect(await run(again, q1.run_id)).toMatchObject({ status: 'queued', queue: { position: 2 } });
    open(gate);
    await waitFor(again, q1.run_id, 'succeeded');
    const [h, a, b] = [await times(again, holder.run_id), await times(again, q2.run_id), await times(again, q1.run_id)];
    // The holder was taken over and ran to its end before the queue moved; then by priority.
    expect(a.RunStarted).toBeGreaterThanOrEqual(h.RunSucceeded);
    expect(b.RunStarted).toBeGreaterThanOrEqual(a.RunSucceeded);
  });

  it('shares one limit with baton run on the same store: each waits for the other', async () => {
    const dir = project({ 'deploy.yaml': DEPLOY });
    const gate = path.join(dir, 'gate');
    const s = await serve(dir);
    const served = await start(s, 'deploy', { inputs: { gate } });
    await waitFor(s, served.run_id, 'running');

    // A run on the command line waits for the server's, and says so.
    const cli = batonAsync(['run', 'deploy.yaml', '-i', `gate=${gate}`, '--view', 'plain'], { cwd: dir });
    const deadline = Date.now() + 20_000;
    while (!/queued \(position 1\): concurrency key deploy-qa is full/.test(cli.output())) {
      if (Date.now() > deadline) throw new Error(`baton run did not say it waits:\n${cli.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const cliRun = /run (\w{26}) queued/.exec(cli.output())![1];
    expect(await run(s, cliRun)).toMatchObject({ status: 'queued', queue: { behind: [served.run_id] } });
    // Meanwhile a second server run queues behind the command line's.
    const after = await start(s, 'deploy', { inputs: { gate } });
    expect(await run(s, after.run_id)).toMatchObject({ status: 'queued', queue: { position: 2 } });

    open(gate);
    const ended = await cli.done;
    expect(ended.status, ended.stderr).toBe(0);
    expect(ended.stderr).toMatch(/its turn came after \d+s; starting/);
    await waitFor(s, after.run_id, 'succeeded');
    const [a, b, c] = [await times(s, served.run_id), await times(s, cliRun), await times(s, after.run_id)];
    expect(b.RunStarted).toBeGreaterThanOrEqual(a.RunSucceeded);
    expect(c.RunStarted).toBeGreaterThanOrEqual(b.RunSucceeded);
    expect(existsSync(gate)).toBe(true);
  });
});
