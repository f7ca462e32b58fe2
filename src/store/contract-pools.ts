import { expect, it } from 'vitest';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { HoldRequest } from './pools.js';
import type { RunOwner, RunRecord } from './store.js';

const owner = (pid: number): RunOwner => ({ host: 'h', pid, started_at: 1000 + pid });
/** Owners whose process is gone, for the isGone of these tests. */
const dead = new Set<number>();
const isGone = (run: RunRecord) => run.owner === undefined || dead.has(run.owner.pid);
const CAPACITIES = { a: 1, b: 1, gpu: 2 };

const ask = (run_id: string, task: string, wants: Record<string, number>, extra: Partial<HoldRequest> = {}): HoldRequest => ({
  run_id,
  task,
  attempt: 1,
  owner: owner(Number(run_id.slice(1))),
  wants,
  capacities: CAPACITIES,
  at: T0,
  ...extra,
});

export function poolContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);
  /** Runs R1..Rn, running, each owned by the pid of its number. */
  const runs = async (...ids: string[]) => {
    for (const id of ids) await store().runs.createRun({ id, workflow: 'w', created_at: T0, owner: owner(Number(id.slice(1))) }, [ev.created(), ev.started()]);
  };
  const holders = async (pool?: string) => (await store().pools.holds(pool === undefined ? undefined : [pool])).map((h) => `${h.pool}:${h.run_id}/${h.task}x${h.amount}`);

  it('takes every pool a task asks for, or none, and says which were short and who holds them', async () => {
    dead.clear();
    await runs('R1', 'R2');
    const pools = store().pools;
    expect(await pools.acquire(ask('R1', 'migrate', { a: 1, b: 1 }, { at: T0 + 5 }), isGone)).toEqual({ acquired: true });
    // b is free, a is not: nothing is taken.
    const refused = await pools.acquire(ask('R2', 'seed', { b: 1, gpu: 1 }), isGone);
    expect(refused.acquired).toBe(false);
    if (refused.acquired) return;
    expect(refused.short).toEqual([
      { pool: 'b', wants: 1, capacity: 1, in_use: 1, held_by: [{ pool: 'b', amount: 1, run_id: 'R1', task: 'migrate', attempt: 1, owner: owner(1), at: T0 + 5 }] },
    ]);
    expect(await holders()).toEqual(['a:R1/migratex1', 'b:R1/migratex1']);
    expect(await holders('gpu')).toEqual([]);
  });

  it('counts amounts against a capacity; a task asking for more than a pool has never gets it', async () => {
    dead.clear();
    await runs('R1', 'R2');
    const pools = store().pools;
    expect((await pools.acquire(ask('R1', 't1', { gpu: 1 }), isGone)).acquired).toBe(true);
    expect((await pools.acquire(ask('R2', 't1', { gpu: 1 }), isGone)).acquired).toBe(true);
    const third = await pools.acquire(ask('R2', 't2', { gpu: 1 }), isGone);
    expect(third).toMatchObject({ acquired: false, short: [{ pool: 'gpu', wants: 1, capacity: 2, in_use: 2 }] });
    await pools.release('R1', 't1');
    expect(await pools.acquire(ask('R2', 't3', { gpu: 3 }), isGone)).toMatchObject({ acquired: false, short: [{ pool: 'gpu', wants: 3, capacity: 2, in_use: 1 }] });
    // A pool the capacities do not name has none.
    expect(await pools.acquire(ask('R2', 't4', { nope: 1 }), isGone)).toMatchObject({ acquired: false, short: [{ pool: 'nope', capacity: 0 }] });
    expect((await pools.acquire(ask('R2', 't2', { gpu: 1 }), isGone)).acquired).toBe(true);
  });

  it("frees a task's holds, or a run's; taking again what a task holds replaces its holds", async () => {
    dead.clear();
    await runs('R1', 'R2');
    const pools = store().pools;
    await pools.acquire(ask('R1', 'x', { a: 1 }), isGone);
    await pools.acquire(ask('R1', 'y', { gpu: 2 }), isGone);
    // The next attempt of y asks again: its old hold does not count against it.
    expect((await pools.acquire(ask('R1', 'y', { gpu: 2, b: 1 }, { attempt: 2 }), isGone)).acquired).toBe(true);
    expect((await store().pools.holds()).map((h) => [h.pool, h.task, h.attempt])).toEqual([
      ['a', 'x', 1],
      ['b', 'y', 2],
      ['gpu', 'y', 2],
    ]);
    await pools.release('R1', 'y');
    expect(await holders()).toEqual(['a:R1/xx1']);
    await pools.acquire(ask('R1', 'z', { b: 1 }), isGone);
    await pools.release('R2');
    await pools.release('R1');
    expect(await holders()).toEqual([]);
  });

  it("frees holds whose run's process is gone, was taken over, or ended; keeps a live run's", async () => {
    dead.clear();
    await runs('R1', 'R2', 'R3', 'R4', 'R5');
    const pools = store().pools;
    await pools.acquire(ask('R1', 'killed', { a: 1 }), isGone);
    await pools.acquire(ask('R2', 'done', { b: 1 }), isGone);
    await pools.acquire(ask('R3', 'alive', { gpu: 1 }), isGone);
    await pools.acquire(ask('R4', 'lost', { gpu: 1 }), isGone);
    dead.add(1);
    await store().runs.append('R2', [ev.succeeded(T0 + 1)]);
    // R4 was taken over by another process (its owner was gone): its old hold is not real.
    dead.add(4);
    expect((await store().runs.claimRun('R4', owner(40), T0 + 2, isGone)).claimed).toBe(true);
    dead.delete(4);
    expect(await pools.acquire(ask('R5', 'next', { a: 1, b: 1, gpu: 1 }), isGone)).toEqual({ acquired: true });
    expect(await holders()).toEqual(['a:R5/nextx1', 'b:R5/nextx1', 'gpu:R3/alivex1', 'gpu:R5/nextx1']);
    // The live holder keeps what it has.
    expect((await pools.acquire(ask('R5', 'more', { gpu: 1 }), isGone)).acquired).toBe(false);
  });

  it('keeps the hold of a run with no owner (only its process sees it) until released or ended', async () => {
    dead.clear();
    await store().runs.createRun({ id: 'R7', workflow: 'w', created_at: T0 }, [ev.created(), ev.started()]);
    await runs('R2');
    const pools = store().pools;
    expect((await pools.acquire(ask('R7', 't', { a: 1 }, { owner: undefined }), isGone)).acquired).toBe(true);
    expect((await pools.acquire(ask('R2', 't', { a: 1 }), isGone)).acquired).toBe(false);
    await store().runs.append('R7', [ev.failed(T0 + 1)]);
    expect((await pools.acquire(ask('R2', 't', { a: 1 }), isGone)).acquired).toBe(true);
  });

  it('gives the last unit of a pool to exactly one of many asking at once', async () => {
    dead.clear();
    const ids = Array.from({ length: 8 }, (_, i) => `R${i + 1}`);
    await runs(...ids);
    const results = await Promise.all(ids.map((id) => store().pools.acquire(ask(id, 't', { a: 1, gpu: 1 }), isGone)));
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
    expect((await store().pools.holds(['a'])).length).toBe(1);
  });

  it('wakes a waiter when this process frees a hold, and lets it go after its time otherwise', async () => {
    dead.clear();
    await runs('R1');
    const pools = store().pools;
    await pools.acquire(ask('R1', 't', { a: 1 }), isGone);
    const started = Date.now();
    await pools.waitForRelease({ timeoutMs: 30 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(20);
    const woken = pools.waitForRelease({ timeoutMs: 60_000 });
    await pools.release('R1', 't');
    await woken;
    const stop = new AbortController();
    const aborted = pools.waitForRelease({ timeoutMs: 60_000, signal: stop.signal });
    stop.abort();
    await aborted;
  });
}
