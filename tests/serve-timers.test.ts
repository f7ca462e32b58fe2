/**
 * `baton serve` and the store's timers, end to end: real daemons killed and started again
 * on one SQLite store. Times are read from the runs' recorded events, never from this
 * process's clock against the server's work.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { batonAsync } from './helpers.js';
import { json, killServers, project, serve, SLOW, sse, until } from './serve-helpers.js';

afterEach(killServers);

type Event = Record<string, unknown> & { type: string; at: number; task?: string };

/** A run's events once it has ended (the stream closes then). */
async function eventsOf(base: string, runId: string): Promise<Event[]> {
  return (await sse(`${base}/api/runs/${runId}/events?logs=false`)).map((e) => e.data as Event);
}

async function statusOf(base: string, runId: string): Promise<string> {
  return (await json(await fetch(`${base}/api/runs/${runId}`))).body.status as string;
}

async function settle(base: string, runId: string, want: string): Promise<void> {
  for (let i = 0; i < 400 && (await statusOf(base, runId)) !== want; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await statusOf(base, runId)).toBe(want);
}

const start = async (base: string, name: string) => (await json(await fetch(`${base}/api/workflows/${name}/runs`, { method: 'POST' }))).body.run_id as string;
const ofType = (events: Event[], type: string) => events.filter((e) => e.type === type);
const stepOf = (events: Event[], task: string) => events.find((e) => e.type === 'TaskStarted' && e.task === task)?.step as { until?: number; timeout_at?: number };

const NAPPER = `import { workflow } from 'baton';

export default workflow({ name: 'napper' }, async (ctx) => {
  await ctx.step('before', () => 'ready');
  await ctx.sleep('nap', '6s');
  return ctx.summary(await ctx.step('after', () => 'woke'));
});
`;

const DNS = `import { workflow } from 'baton';

export default workflow({ name: 'dns' }, async (ctx) => {
  await ctx.waitForEvent('dns-ok', { event: 'dns.propagated', timeout: '2s' });
  return ctx.summary('propagated');
});
`;

describe('baton serve fires the timers kept in the store', () => {
  it('killed with a run in flight and one sleeping, started again: both resume, and the sleeper wakes on time', async () => {
    const dir = project({ 'slow.yaml': SLOW, 'napper.ts': NAPPER });
    const first = await serve(dir);
    const slow = await start(first.base, 'slow');
    await until(`${first.base}/api/runs/${slow}/events`, 'TaskStarted');
    const napper = await start(first.base, 'napper');
    await settle(first.base, napper, 'waiting');
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await serve(dir);
    expect(second.log()).toContain('took over 1 interrupted run');
    const slowEvents = await eventsOf(second.base, slow);
    expect(slowEvents.at(-1)?.type).toBe('RunSucceeded');
    expect(ofType(slowEvents, 'RunResumed')).toHaveLength(1);

    const napEvents = await eventsOf(second.base, napper);
    const due = stepOf(napEvents, 'nap').until!;
    const woke = napEvents.find((e) => e.type === 'TaskSucceeded' && e.task === 'nap')!.at;
    // Not before its time, and soon after it: the server slept until the timer, not a second at a time.
    expect(woke).toBeGreaterThanOrEqual(due);
    expect(woke - due).toBeLessThan(1500);
    // Picked up once, when due (not at start, which was seconds before).
    const resumed = ofType(napEvents, 'RunResumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].at).toBeGreaterThanOrEqual(due);
    expect(ofType(napEvents, 'RunSucceeded')).toEqual([expect.objectContaining({ summary: 'woke' })]);
    expect(second.log()).toMatch(new RegExp(`run ${napper}: its sleep or wait timeout came due at .* with no process driving it: going on with it here`));
  }, 60_000);

  it('a waitForEvent timeout that passed while no server ran fires once when servers are back, by one of them', async () => {
    const dir = project({ 'dns.ts': DNS });
    const first = await serve(dir);
    const runId = await start(first.base, 'dns');
    await settle(first.base, runId, 'waiting');
    // Nobody drives it now (the server let it go): only an event or its timeout can move it.
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await new Promise((r) => setTimeout(r, 2500));

    // Two servers on the store at once: the timer fires in exactly one of them.
    const [a, b] = await Promise.all([serve(dir), serve(dir)]);
    await settle(a.base, runId, 'failed');
    const events = await eventsOf(a.base, runId);
    expect(ofType(events, 'RunResumed')).toHaveLength(1);
    expect(ofType(events, 'TaskFailed')).toEqual([expect.objectContaining({ task: 'dns-ok', error: expect.objectContaining({ code: 'EVENT_TIMEOUT' }) })]);
    const due = stepOf(events, 'dns-ok').timeout_at!;
    expect(ofType(events, 'RunResumed')[0].at).toBeGreaterThan(due);
    const fired = (a.log() + b.log()).match(new RegExp(`run ${runId}: its sleep or wait timeout came due`, 'g')) ?? [];
    expect(fired).toHaveLength(1);
  }, 60_000);

  it("takes over a run whose process died during a retry's back-off when the retry comes due", async () => {
    const dir = project({
      'flaky.yaml': 'name: flaky\ntasks:\n  - id: check\n    command: test -f marker || { touch marker; exit 1; }\n    retry: { attempts: 2, delay: 3s, jitter: 0 }\n',
    });
    const s = await serve(dir);
    // Run by another process on the same store, which dies while the retry waits.
    const cli = batonAsync(['run', 'flaky.yaml', '--view', 'plain'], { cwd: dir });
    let runId = '';
    for (let i = 0; i < 400 && runId === ''; i++) {
      const runs = (await json(await fetch(`${s.base}/api/runs?workflow=flaky`))).body.runs as Array<{ run_id: string }>;
      const tasks = runs.length > 0 ? ((await json(await fetch(`${s.base}/api/runs/${runs[0].run_id}`))).body.tasks as Array<{ status: string }>) : [];
      if (tasks.some((t) => t.status === 'retrying')) runId = runs[0].run_id;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(runId).not.toBe('');
    cli.child.kill('SIGKILL');
    await cli.done;

    await settle(s.base, runId, 'succeeded');
    const events = await eventsOf(s.base, runId);
    const due = (ofType(events, 'TaskRetryScheduled')[0] as Event & { at_due: number }).at_due;
    const resumed = ofType(events, 'RunResumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].at).toBeGreaterThanOrEqual(due);
    expect(events.filter((e) => e.type === 'TaskStarted').map((e) => e.attempt)).toEqual([1, 2]);
    expect(s.log()).toContain(`run ${runId}: the retry of check came due`);
  }, 60_000);

  it('takes over a run whose process died before its time limit when the limit comes due, and ends it there', async () => {
    const dir = project({ 'bounded.yaml': 'name: bounded\ntimeout: 3s\ntasks:\n  - id: long\n    command: sleep 30\n' });
    const s = await serve(dir);
    const cli = batonAsync(['run', 'bounded.yaml', '--view', 'plain'], { cwd: dir });
    let runId = '';
    for (let i = 0; i < 400 && runId === ''; i++) {
      const runs = (await json(await fetch(`${s.base}/api/runs?workflow=bounded`))).body.runs as Array<{ run_id: string; status: string }>;
      if (runs[0]?.status === 'running') runId = runs[0].run_id;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(runId).not.toBe('');
    cli.child.kill('SIGKILL');
    await cli.done;

    await settle(s.base, runId, 'failed');
    const events = await eventsOf(s.base, runId);
    const limit = ofType(events, 'RunStarted')[0].at + 3000;
    const resumed = ofType(events, 'RunResumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].at).toBeGreaterThanOrEqual(limit);
    expect(ofType(events, 'RunFailed')).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'RUN_TIMEOUT' }) })]);
    expect(s.log()).toContain(`run ${runId}: its time limit came due`);
  }, 60_000);
});
