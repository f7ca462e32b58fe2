import { expect, it } from 'vitest';
import { ev, realisticRun, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { RunWait, TimedEvent } from './events.js';
import type { RunOwner } from './store.js';
import type { Timer, TimerClaim } from './timers.js';

const owner = (pid: number): RunOwner => ({ host: 'h', pid, started_at: 1000 + pid });
/** Claimers whose process is gone, for the isGone of these tests. */
const dead = new Set<number>();
const isGone = (claim: TimerClaim) => dead.has(claim.by.pid);

const created = (timeout?: number, at = T0): TimedEvent => ({
  type: 'RunCreated',
  workflow: { name: 'deploy', tasks: [], ...(timeout === undefined ? {} : { timeout }) },
  inputs: {},
  env: {},
  kind: 'code',
  at,
});
const waiting = (waits: RunWait[], at = T0): TimedEvent => ({ type: 'RunWaiting', waits, at });
const woke = (at = T0): TimedEvent => ({ type: 'RunWoke', at });
const resumed = (at = T0): TimedEvent => ({ type: 'RunResumed', owner: { host: 'h', pid: 9 }, at });

/** A timer as a short string: kind, key and due time relative to T0. */
const brief = (t: Timer) => `${t.run_id}:${t.kind}${t.key === '' ? '' : `:${t.key}`}@${t.due_at - T0}`;

export function timerContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);
  const timers = async (runId: string) => (await store().timers.ofRun(runId)).map(brief);

  it("keeps a waiting run's wake-up: its soonest sleep or timeout, set by RunWaiting and gone when it stops waiting", async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [created(), ev.started(T0 + 1)]);
    expect(await timers('R1')).toEqual([]);
    await runs.append('R1', [
      waiting([
        { task: 'nap', kind: 'sleep', until: T0 + 5000 },
        { task: 'dns', kind: 'event', event: 'dns.ok', timeout_at: T0 + 3000 },
        { task: 'ok', kind: 'approval' },
      ], T0 + 2),
    ]);
    expect(await timers('R1')).toEqual(['R1:wake@3000']);
    await runs.append('R1', [woke(T0 + 3000)]);
    expect(await timers('R1')).toEqual([]);
    // Approvals and events without a timeout: nothing comes due.
    await runs.append('R1', [waiting([{ task: 'ok', kind: 'approval' }], T0 + 3001)]);
    expect(await timers('R1')).toEqual([]);
    await runs.append('R1', [waiting([{ task: 'ok', kind: 'approval', timeout_at: T0 + 9000 }], T0 + 3002)]);
    expect(await timers('R1')).toEqual(['R1:wake@9000']);
    // Taken up by another process: it is not waiting any more.
    await runs.append('R1', [resumed(T0 + 4000)]);
    expect(await timers('R1')).toEqual([]);
    await runs.append('R1', [waiting([{ task: 'nap2', kind: 'sleep', until: T0 + 7000 }], T0 + 4001), ev.succeeded(T0 + 4002)]);
    expect(await timers('R1')).toEqual([]);
  });

  it("keeps a task's retry back-off until the task is ready or starts again, is cancelled, or the run ends", async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [ev.created(), ev.started(), ev.ready('a'), ev.start('a', 1), ev.ready('b'), ev.start('b', 1)]);
    await runs.append('R1', [ev.fail('a', 1, T0 + 10), ev.retry('a', 2, T0 + 1000, T0 + 10), ev.fail('b', 1, T0 + 11), ev.retry('b', 2, T0 + 2000, T0 + 11)]);
    expect(await timers('R1')).toEqual(['R1:retry:a@1000', 'R1:retry:b@2000']);
    // The graph driver makes it ready when due; a code run's step starts again.
    await runs.append('R1', [ev.ready('a', T0 + 1000)]);
    expect(await timers('R1')).toEqual(['R1:retry:b@2000']);
    await runs.append('R1', [ev.start('b', 2, T0 + 2000), ev.fail('b', 2, T0 + 2001), ev.retry('b', 3, T0 + 4000, T0 + 2001)]);
    expect(await timers('R1')).toEqual(['R1:retry:b@4000']);
    await runs.append('R1', [ev.cancel('b', 'run cancelled', T0 + 2002)]);
    expect(await timers('R1')).toEqual([]);
    await runs.append('R1', [ev.start('a', 2, T0 + 2003), ev.fail('a', 2, T0 + 2004), ev.retry('a', 3, T0 + 5000, T0 + 2004)]);
    expect(await timers('R1')).toEqual(['R1:retry:a@5000']);
    await runs.append('R1', [ev.failed(T0 + 2005)]);
    expect(await timers('R1')).toEqual([]);
  });

  it("keeps a run's time limit from when it became active, until it ends; a reopened run's counts from the reopening", async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [created(60_000)]);
    expect(await timers('R1')).toEqual([]);
    await runs.append('R1', [ev.started(T0 + 10)]);
    expect(await timers('R1')).toEqual(['R1:deadline@60010']);
    // A resume goes on counting from the start.
    await runs.append('R1', [resumed(T0 + 500), waiting([{ task: 'nap', kind: 'sleep', until: T0 + 90_000 }], T0 + 600)]);
    expect(await timers('R1')).toEqual(['R1:deadline@60010', 'R1:wake@90000']);
    await runs.append('R1', [ev.cancelled('the run timed out', T0 + 60_010)]);
    expect(await timers('R1')).toEqual([]);
    await runs.append('R1', [ev.reopened([], T0 + 100_000)]);
    expect(await timers('R1')).toEqual(['R1:deadline@160000']);
    // Created and started in one batch; a workflow without a limit has none.
    await runs.createRun({ id: 'R2', workflow: 'w', created_at: T0 }, [created(5000), ev.started(T0 + 1)]);
    await runs.createRun({ id: 'R3', workflow: 'w', created_at: T0 }, [created(), ev.started(T0 + 1)]);
    expect(await timers('R2')).toEqual(['R2:deadline@5001']);
    expect(await timers('R3')).toEqual([]);
  });

  it('lists the timers due by a time across runs, earliest first, and as many as asked', async () => {
    const runs = store().runs;
    for (const [id, due] of [['A', 3000], ['B', 1000], ['C', 2000], ['D', 9000]] as const) {
      await runs.createRun({ id, workflow: 'w', created_at: T0 }, [created(), ev.started(), waiting([{ task: 'nap', kind: 'sleep', until: T0 + due }])]);
    }
    await runs.append('A', [ev.ready('x'), ev.start('x', 1), ev.fail('x', 1), ev.retry('x', 2, T0 + 2000)]);
    expect((await store().timers.due(T0 + 2999, 10)).map(brief)).toEqual(['B:wake@1000', 'A:retry:x@2000', 'C:wake@2000']);
    expect((await store().timers.due(T0 + 3000, 2)).map(brief)).toEqual(['B:wake@1000', 'A:retry:x@2000']);
    expect(await store().timers.due(T0 + 999, 10)).toEqual([]);
    // A run that ends takes its timers with it.
    await runs.append('B', [ev.succeeded(T0 + 1000)]);
    expect((await store().timers.due(T0 + 2000, 10)).map(brief)).toEqual(['A:retry:x@2000', 'C:wake@2000']);
  });

  it('lets exactly one claimer fire a due timer: again its own claim, another only once the claimer is gone', async () => {
    dead.clear();
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [created(), ev.started(), waiting([{ task: 'nap', kind: 'sleep', until: T0 + 1000 }])]);
    const [due] = await store().timers.due(T0 + 1000, 10);
    const claims = await Promise.all([1, 2, 3, 4].map((pid) => store().timers.claim(due, owner(pid), T0 + 1000, isGone)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = claims.indexOf(true) + 1;
    const [claimed] = await store().timers.ofRun('R1');
    expect(claimed).toEqual({ ...due, claimed_by: owner(winner), claimed_at: T0 + 1000 });
    expect(await store().timers.claim(due, owner(winner), T0 + 1100, isGone)).toBe(true);
    const other = winner === 1 ? 2 : 1;
    expect(await store().timers.claim(due, owner(other), T0 + 1200, isGone)).toBe(false);
    dead.add(winner);
    expect(await store().timers.claim(due, owner(other), T0 + 1300, isGone)).toBe(true);
    expect((await store().timers.ofRun('R1'))[0].claimed_by).toEqual(owner(other));
    // A new due time is a new timer, claimed by nobody; a claim of the old one is refused.
    await runs.append('R1', [resumed(T0 + 1400), waiting([{ task: 'nap', kind: 'sleep', until: T0 + 2000 }], T0 + 1401)]);
    expect(await store().timers.ofRun('R1')).toEqual([{ run_id: 'R1', kind: 'wake', key: '', due_at: T0 + 2000 }]);
    expect(await store().timers.claim(due, owner(5), T0 + 2000, isGone)).toBe(false);
    // One cleared since it was listed cannot be claimed.
    const [next] = await store().timers.due(T0 + 2000, 10);
    await runs.append('R1', [woke(T0 + 2000)]);
    expect(await store().timers.claim(next, owner(5), T0 + 2000, isGone)).toBe(false);
  });

  it('rebuilds the timers from the events as appending kept them', async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [created(60_000), ev.started(T0 + 1), ev.ready('a'), ev.start('a', 1)]);
    await runs.append('R1', [ev.fail('a', 1, T0 + 5), ev.retry('a', 2, T0 + 900, T0 + 5), waiting([{ task: 'nap', kind: 'sleep', until: T0 + 800 }], T0 + 6)]);
    const batches = realisticRun();
    await runs.createRun({ id: 'R2', workflow: 'w', created_at: T0 }, batches[0]);
    for (const batch of batches.slice(1, 3)) await runs.append('R2', batch);
    const before = [...(await timers('R1')), ...(await timers('R2'))];
    expect(before).toEqual(['R1:deadline@60001', 'R1:retry:a@900', 'R1:wake@800', `R2:retry:test@${batches[2][1].type === 'TaskRetryScheduled' ? batches[2][1].at_due - T0 : NaN}`]);
    await runs.rebuildProjection();
    expect([...(await timers('R1')), ...(await timers('R2'))]).toEqual(before);
    await runs.rebuildProjection('R1');
    expect(await timers('R1')).toEqual(before.slice(0, 3));
    // The whole realistic run: nothing is left once it ends.
    for (const batch of batches.slice(3)) await runs.append('R2', batch);
    expect(await timers('R2')).toEqual([]);
  });
}
