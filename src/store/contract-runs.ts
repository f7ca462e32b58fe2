import { expect, it } from 'vitest';
import { errorCode } from '../observability/errors.js';
import { ev, expectedTasks, realisticRun, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';
import type { RunOwner, RunRecord } from './store.js';

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { code: errorCode(err), message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

const run = (id: string, created_at = T0, workflow = 'deploy') => ({ id, workflow, created_at });

export function runContract(makeStore: MakeStore, options: { projectsOnAppend: boolean }): void {
  const store = useStore(makeStore);

  it('creates a run with its first events, numbered from 1', async () => {
    const stored = await store().runs.createRun(run('R1'), [ev.created(T0), ev.started(T0 + 5)]);
    expect(stored.map((e) => [e.seq, e.type])).toEqual([
      [1, 'RunCreated'],
      [2, 'RunStarted'],
    ]);
    const record = await store().runs.getRun('R1');
    expect(record).toEqual({ id: 'R1', namespace: 'default', workflow: 'deploy', status: 'running', created_at: T0, updated_at: T0 + 5, active_ms: 0, active_since: T0 + 5 });
    expect(await store().runs.getRun('nope')).toBeUndefined();
  });

  it("keeps a run's active time: its sessions, not the idle time between them", async () => {
    const runs = store().runs;
    await runs.createRun(run('R1'), [ev.created(T0), ev.started(T0 + 10)]);
    await runs.append('R1', [ev.failed(T0 + 110)]);
    expect(await runs.getRun('R1')).toMatchObject({ active_ms: 100, ended_at: T0 + 110 });
    expect((await runs.getRun('R1'))?.active_since).toBeUndefined();
    // `baton retry` three minutes later: the gap is not the run's time.
    await runs.append('R1', [ev.reopened([], T0 + 180_000)]);
    expect(await runs.getRun('R1')).toMatchObject({ active_ms: 100, active_since: T0 + 180_000 });
    // The retrying process dies after its last heartbeat at +40 ms; a resume a minute later.
    await runs.append('R1', [{ type: 'RunResumed', owner: { host: 'h', pid: 2 }, ran_until: T0 + 180_040, at: T0 + 240_000 }]);
    await runs.append('R1', [ev.succeeded(T0 + 240_060)]);
    const ended = await runs.getRun('R1');
    expect(ended).toMatchObject({ status: 'succeeded', active_ms: 200 });
    await runs.rebuildProjection('R1');
    expect(await runs.getRun('R1')).toEqual(ended);
  });

  it('refuses a second run with the same id and keeps the first', async () => {
    await store().runs.createRun(run('R1'), [ev.created()]);
    expect((await rejection(store().runs.createRun(run('R1', T0 + 1, 'other'), [ev.created(), ev.started()]))).code).toBe('STORE_RUN_EXISTS');
    expect(await store().runs.readEvents('R1')).toHaveLength(1);
    expect((await store().runs.getRun('R1'))?.workflow).toBe('deploy');
  });

  it('appends events in order and reads them back whole, from any point', async () => {
    await store().runs.createRun(run('R1'), [ev.created()]);
    const appended = await store().runs.append('R1', [ev.started(T0 + 1), ev.ready('a', T0 + 2)]);
    expect(appended.map((e) => e.seq)).toEqual([2, 3]);
    expect((await store().runs.append('R1', [ev.start('a', 1, T0 + 3)]))[0].seq).toBe(4);
    expect(await store().runs.append('R1', [])).toEqual([]);
    const events = await store().runs.readEvents('R1');
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(events[0]).toEqual({ ...ev.created(), seq: 1 });
    expect(events[3]).toEqual({ type: 'TaskStarted', task: 'a', attempt: 1, at: T0 + 3, seq: 4 });
    expect((await store().runs.readEvents('R1', 2)).map((e) => e.seq)).toEqual([3, 4]);
    expect(await store().runs.readEvents('R1', 4)).toEqual([]);
  });

  it("waits for a run's new events: at once when there are some, until an append when not, none after the time or an abort", async () => {
    await store().runs.createRun(run('R1'), [ev.created(), ev.started(T0 + 1)]);
    // Already there: no waiting.
    expect((await store().runs.waitForEvents('R1', 1, { timeoutMs: 60_000 })).map((e) => e.seq)).toEqual([2]);
    // Not yet: the append wakes the waiter, which gets only what is new.
    const waiting = store().runs.waitForEvents('R1', 2, { timeoutMs: 60_000 });
    await new Promise((resolve) => setImmediate(resolve));
    await store().runs.append('R1', [ev.ready('a', T0 + 2), ev.start('a', 1, T0 + 3)]);
    expect((await waiting).map((e) => [e.seq, e.type])).toEqual([
      [3, 'TaskReady'],
      [4, 'TaskStarted'],
    ]);
    // Nothing comes: none, when the time is up or the signal fires.
    expect(await store().runs.waitForEvents('R1', 4, { timeoutMs: 20 })).toEqual([]);
    const stop = new AbortController();
    const stopped = store().runs.waitForEvents('R1', 4, { timeoutMs: 60_000, signal: stop.signal });
    stop.abort();
    expect(await stopped).toEqual([]);
    expect((await rejection(store().runs.waitForEvents('R9', 0, { timeoutMs: 10 }))).code).toBe('STORE_RUN_NOT_FOUND');
  });

  it('says which run it cannot find', async () => {
    // One at a time: a store over the network rejects each later, and a rejection nobody awaits yet is reported as unhandled.
    for (const attempt of [
      () => store().runs.append('R9', [ev.started()]),
      () => store().runs.readEvents('R9'),
      () => store().runs.listTasks('R9'),
      () => store().runs.rebuildProjection('R9'),
    ]) {
      const error = await rejection(attempt());
      expect(error.code).toBe('STORE_RUN_NOT_FOUND');
      expect(error.message).toContain('R9');
    }
  });

  it.runIf(options.projectsOnAppend)('appends all events of a batch or none', async () => {
    await store().runs.createRun(run('R1'), [ev.created(), ev.started(), ev.ready('a')]);
    // The second event cannot be projected (no children): the whole batch must fail.
    const broken = { type: 'TaskExpanded', task: 'a', at: T0 } as unknown as TimedEvent;
    await expect(store().runs.append('R1', [ev.start('a', 1), broken, ev.succeeded()])).rejects.toThrow();
    expect((await store().runs.readEvents('R1')).map((e) => e.type)).toEqual(['RunCreated', 'RunStarted', 'TaskReady']);
    expect(await store().runs.listTasks('R1')).toEqual([{ key: 'a', status: 'ready', attempt: 0 }]);
    expect((await store().runs.getRun('R1'))?.status).toBe('running');
    // No gap in the numbers after a failed batch.
    expect((await store().runs.append('R1', [ev.start('a', 1)]))[0].seq).toBe(4);
  });

  it('keeps the run status as its events say', async () => {
    const runs = store().runs;
    await runs.createRun(run('R1'), [ev.created(T0)]);
    expect((await runs.getRun('R1'))?.status).toBe('pending');
    await runs.append('R1', [ev.started(T0 + 1)]);
    expect((await runs.getRun('R1'))?.status).toBe('running');
    await runs.append('R1', [ev.ready('a', T0 + 2), ev.failed(T0 + 3)]);
    expect(await runs.getRun('R1')).toMatchObject({ status: 'failed', ended_at: T0 + 3, updated_at: T0 + 3 });
    await runs.append('R1', [ev.reopened(['a'], T0 + 4)]);
    const reopened = await runs.getRun('R1');
    expect(reopened?.status).toBe('running');
    expect(reopened?.ended_at).toBeUndefined();
    await runs.append('R1', [ev.cancelled('stop', T0 + 5)]);
    expect(await runs.getRun('R1')).toMatchObject({ status: 'cancelled', ended_at: T0 + 5 });
    await runs.append('R1', [ev.reopened(['a'], T0 + 6), ev.succeeded(T0 + 7)]);
    expect(await runs.getRun('R1')).toMatchObject({ status: 'succeeded', ended_at: T0 + 7, updated_at: T0 + 7 });
  });

  it('lists runs newest first, filtered and limited', async () => {
    const runs = store().runs;
    for (let i = 0; i < 25; i++) {
      await runs.createRun(run(`R${String(i).padStart(2, '0')}`, T0 + i * 1000, i % 2 ? 'build' : 'deploy'), [ev.created(T0 + i * 1000)]);
    }
    await runs.append('R03', [ev.started(), ev.succeeded()]);
    await runs.append('R04', [ev.started(), ev.failed()]);
    const all = await runs.listRuns();
    expect(all).toHaveLength(20);
    expect(all[0].id).toBe('R24');
    expect(all.map((r) => r.created_at)).toEqual([...all.map((r) => r.created_at)].sort((a, b) => b - a));
    expect((await runs.listRuns({ limit: 3 })).map((r) => r.id)).toEqual(['R24', 'R23', 'R22']);
    expect((await runs.listRuns({ limit: 100 })).length).toBe(25);
    expect((await runs.listRuns({ workflow: 'build', limit: 100 })).every((r) => r.workflow === 'build')).toBe(true);
    expect((await runs.listRuns({ workflow: 'build', limit: 100 })).length).toBe(12);
    expect((await runs.listRuns({ status: 'succeeded' })).map((r) => r.id)).toEqual(['R03']);
    expect((await runs.listRuns({ status: 'failed', workflow: 'deploy' })).map((r) => r.id)).toEqual(['R04']);
    expect((await runs.listRuns({ since: T0 + 22_000 })).map((r) => r.id)).toEqual(['R24', 'R23', 'R22']);
    expect(await runs.listRuns({ workflow: 'nothing' })).toEqual([]);
  });

  it('keeps what fired a run on its record, and lists by it (manual: started by hand)', async () => {
    const runs = store().runs;
    const fired = (type: 'schedule' | 'webhook', at: number): TimedEvent => ({ ...ev.created(at), trigger: { type, at: new Date(at).toISOString() } }) as TimedEvent;
    await runs.createRun(run('T1', T0), [fired('schedule', T0)]);
    await runs.createRun(run('T2', T0 + 1), [ev.created(T0 + 1)]);
    await runs.createRun(run('T3', T0 + 2), [fired('webhook', T0 + 2)]);
    await runs.createRun(run('T4', T0 + 3), [fired('schedule', T0 + 3)]);
    expect((await runs.getRun('T1'))?.trigger).toBe('schedule');
    expect((await runs.getRun('T2'))?.trigger).toBeUndefined();
    expect((await runs.listRuns({ trigger: 'schedule' })).map((r) => r.id)).toEqual(['T4', 'T1']);
    expect((await runs.listRuns({ trigger: 'manual' })).map((r) => r.id)).toEqual(['T2']);
    expect((await runs.listRuns({ trigger: 'webhook', status: 'pending' })).map((r) => r.id)).toEqual(['T3']);
    expect((await runs.listRuns({ trigger: 'schedule', before: { created_at: T0 + 3, id: 'T4' } })).map((r) => r.id)).toEqual(['T1']);
  });

  it('pages through runs with `before` (the last run of a page), however many share a creation time', async () => {
    for (let i = 0; i < 25; i++) await store().runs.createRun(run(`P${String(i).padStart(2, '0')}`, T0 + Math.floor(i / 4)), [ev.created()]);
    const all = (await store().runs.listRuns({ limit: 100 })).map((r) => r.id);
    const paged: string[] = [];
    let before: { created_at: number; id: string } | undefined;
    for (;;) {
      const page = await store().runs.listRuns({ limit: 10, ...(before ? { before } : {}) });
      paged.push(...page.map((r) => r.id));
      if (page.length < 10) break;
      const last = page[page.length - 1];
      before = { created_at: last.created_at, id: last.id };
    }
    expect(paged).toEqual(all);
    expect(new Set(paged).size).toBe(25);
  });

  it('breaks ties in creation time by id, newest first', async () => {
    await store().runs.createRun(run('RA'), [ev.created()]);
    await store().runs.createRun(run('RB'), [ev.created()]);
    expect((await store().runs.listRuns()).map((r) => r.id)).toEqual(['RB', 'RA']);
  });

  it('projects tasks in order of first appearance', async () => {
    const runs = store().runs;
    await runs.createRun(run('R1'), [ev.created(), ev.started(), ev.ready('b', T0 + 1), ev.ready('a', T0 + 2)]);
    await runs.append('R1', [ev.start('a', 1, T0 + 3), ev.expand('a', ['a[0]', 'a[1]'], T0 + 3)]);
    await runs.append('R1', [ev.fail('a[0]', 1, T0 + 4), ev.retry('a[0]', 1, T0 + 1004, T0 + 4)]);
    expect(await runs.listTasks('R1')).toEqual([
      { key: 'b', status: 'ready', attempt: 0 },
      { key: 'a', status: 'running', attempt: 1, first_started_at: T0 + 3, started_at: T0 + 3 },
      { key: 'a[0]', status: 'retrying', attempt: 0, ended_at: T0 + 4, exit_code: 2, retry_at: T0 + 1004, error: { code: 'EXEC_EXIT_CODE', message: 'exit 2', exit_code: 2 } },
      { key: 'a[1]', status: 'pending', attempt: 0 },
    ]);
    await runs.append('R1', [ev.ready('a[0]', T0 + 1004), ev.start('a[0]', 2, T0 + 1005), ev.ok('a[0]', 2, T0 + 1006, { n: 1 }), ev.skip('a[1]', 'no', T0 + 1006)]);
    const tasks = await runs.listTasks('R1');
    expect(tasks[2]).toEqual({ key: 'a[0]', status: 'succeeded', attempt: 2, first_started_at: T0 + 1005, started_at: T0 + 1005, ended_at: T0 + 1006, exit_code: 0, outputs: { n: 1 } });
    expect(tasks[3]).toEqual({ key: 'a[1]', status: 'skipped', attempt: 0, reason: 'no', ended_at: T0 + 1006 });
  });

  it('resets reopened tasks and keeps the others', async () => {
    const runs = store().runs;
    await runs.createRun(run('R1'), [ev.created(), ev.started(), ev.ready('a'), ev.start('a', 1, T0 + 1), ev.ok('a', 1, T0 + 2, { x: 1 })]);
    await runs.append('R1', [ev.ready('b'), ev.start('b', 1, T0 + 3), ev.fail('b', 1, T0 + 4), ev.failed(T0 + 4)]);
    await runs.append('R1', [ev.reopened(['b'], T0 + 10)]);
    expect(await runs.listTasks('R1')).toEqual([
      { key: 'a', status: 'succeeded', attempt: 1, first_started_at: T0 + 1, started_at: T0 + 1, ended_at: T0 + 2, exit_code: 0, outputs: { x: 1 } },
      { key: 'b', status: 'pending', attempt: 1, first_started_at: T0 + 3, started_at: T0 + 3 },
    ]);
    await runs.append('R1', [ev.ready('b', T0 + 11), ev.start('b', 2, T0 + 12)]);
    expect((await runs.listTasks('R1'))[1]).toMatchObject({ status: 'running', attempt: 2, first_started_at: T0 + 3, started_at: T0 + 12 });
  });

  it('projects a realistic run as the reference fold does, live and rebuilt', async () => {
    const runs = store().runs;
    const batches = realisticRun();
    await runs.createRun(run('R1'), batches[0]);
    await runs.createRun(run('R2', T0 + 1), batches[0].map((e) => ({ ...e })));
    for (const batch of batches.slice(1)) {
      await runs.append('R1', batch);
      await runs.append('R2', batch.map((e) => ({ ...e })));
    }
    const expected = expectedTasks(batches.flat());
    expect(await runs.listTasks('R1')).toEqual(expected);
    const before = await runs.getRun('R1');
    expect(before).toMatchObject({ status: 'succeeded', updated_at: batches.flat().at(-1)!.at });
    await runs.rebuildProjection('R1');
    expect(await runs.listTasks('R1')).toEqual(expected);
    expect(await runs.getRun('R1')).toEqual(before);
    await runs.rebuildProjection();
    expect(await runs.listTasks('R1')).toEqual(expected);
    expect(await runs.listTasks('R2')).toEqual(expected);
    // Appending after a rebuild goes on from the rebuilt rows.
    await runs.append('R1', [ev.reopened(['notify']), ev.ready('late')]);
    expect((await runs.listTasks('R1')).map((t) => t.key)).toEqual([...expected.map((t) => t.key), 'late']);
  });

  it('resolves run ids by unique prefix, ignoring case', async () => {
    const runs = store().runs;
    for (const id of ['01JDABC000', '01JDABD111', '01JDXYZ222', 'SHORT', 'SHORTER']) await runs.createRun(run(id), [ev.created()]);
    expect(await runs.resolveRunId('01JDXYZ222')).toBe('01JDXYZ222');
    expect(await runs.resolveRunId('01JDX')).toBe('01JDXYZ222');
    expect(await runs.resolveRunId('01jdabc')).toBe('01JDABC000');
    // An exact id wins over longer ids it is a prefix of.
    expect(await runs.resolveRunId('SHORT')).toBe('SHORT');
    const ambiguous = await rejection(runs.resolveRunId('01jdab'));
    expect(ambiguous.code).toBe('STORE_RUN_AMBIGUOUS');
    expect(ambiguous.message).toContain('01JDABC000');
    expect(ambiguous.message).toContain('01JDABD111');
    // 01JDAB is shared: the seventh character tells them apart.
    expect(ambiguous.message).toContain('use at least 7 characters of the id');
    expect((await rejection(runs.resolveRunId('02'))).code).toBe('STORE_RUN_NOT_FOUND');
    expect((await rejection(runs.resolveRunId(''))).code).toBe('STORE_RUN_NOT_FOUND');
  });
}

const me: RunOwner = { host: 'host-a', pid: 100, started_at: T0 - 5000 };
const other: RunOwner = { host: 'host-b', pid: 200, started_at: T0 - 9000 };

export function ownershipContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  it('records the owner a run is created with', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created()]);
    expect(await store().runs.getRun('R1')).toMatchObject({ owner: me, heartbeat_at: T0 });
  });

  it('claims a run that has no owner, or is already ours', async () => {
    await store().runs.createRun(run('R1'), [ev.created()]);
    const first = await store().runs.claimRun('R1', me, T0 + 10, () => false);
    expect(first).toEqual({ claimed: true, record: expect.objectContaining({ id: 'R1', owner: me, heartbeat_at: T0 + 10 }) });
    expect(await store().runs.getRun('R1')).toMatchObject({ owner: me, heartbeat_at: T0 + 10 });
    expect((await store().runs.claimRun('R1', me, T0 + 20, () => false)).claimed).toBe(true);
    expect((await store().runs.getRun('R1'))?.heartbeat_at).toBe(T0 + 20);
  });

  it('takes a run over only when its owner is gone', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created()]);
    const seen: RunRecord[] = [];
    const refused = await store().runs.claimRun('R1', other, T0 + 10, (record) => (seen.push(record), false));
    expect(refused).toEqual({ claimed: false, record: expect.objectContaining({ owner: me, heartbeat_at: T0 }) });
    expect(seen[0]).toMatchObject({ id: 'R1', owner: me });
    expect((await store().runs.getRun('R1'))?.owner).toEqual(me);
    const taken = await store().runs.claimRun('R1', other, T0 + 20, () => true);
    expect(taken.claimed).toBe(true);
    expect(await store().runs.getRun('R1')).toMatchObject({ owner: other, heartbeat_at: T0 + 20 });
    expect((await rejection(store().runs.claimRun('R9', me, T0, () => true))).code).toBe('STORE_RUN_NOT_FOUND');
  });

  it('renews the heartbeat of the owner only, and shows it the run as it is', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created(), ev.started()]);
    expect(await store().runs.heartbeat('R1', me, T0 + 500)).toMatchObject({ owner: me, heartbeat_at: T0 + 500 });
    const notOwner = await store().runs.heartbeat('R1', other, T0 + 900);
    expect(notOwner).toMatchObject({ owner: me, heartbeat_at: T0 + 500 });
    await store().runs.requestCancel('R1', 'stopped by alice');
    expect(await store().runs.heartbeat('R1', me, T0 + 1000)).toMatchObject({ cancel_requested: 'stopped by alice', heartbeat_at: T0 + 1000 });
    expect((await rejection(store().runs.heartbeat('R9', me, T0))).code).toBe('STORE_RUN_NOT_FOUND');
  });

  it('lets only the owner release a run', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created()]);
    await store().runs.releaseRun('R1', other);
    expect((await store().runs.getRun('R1'))?.owner).toEqual(me);
    await store().runs.releaseRun('R1', me);
    expect((await store().runs.getRun('R1'))?.owner).toBeUndefined();
    expect((await store().runs.claimRun('R1', other, T0 + 1, () => false)).claimed).toBe(true);
  });

  it('records cancel requests for unfinished runs only', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created(), ev.started()]);
    await store().runs.requestCancel('R1', 'enough');
    expect((await store().runs.getRun('R1'))?.cancel_requested).toBe('enough');
    expect((await store().runs.getRun('R1'))?.cancel_compensate).toBeUndefined();
    // `baton cancel --compensate`: the request says so, and a later plain one takes it back.
    await store().runs.requestCancel('R1', 'undo it', { compensate: true });
    expect(await store().runs.heartbeat('R1', me, T0 + 1)).toMatchObject({ cancel_requested: 'undo it', cancel_compensate: true });
    await store().runs.requestCancel('R1', 'just stop');
    expect((await store().runs.getRun('R1'))?.cancel_compensate).toBeUndefined();
    await store().runs.createRun(run('R2'), [ev.created(), ev.started(), ev.succeeded()]);
    await store().runs.requestCancel('R2', 'too late');
    expect((await store().runs.getRun('R2'))?.cancel_requested).toBeUndefined();
    expect((await rejection(store().runs.requestCancel('R9', 'x'))).code).toBe('STORE_RUN_NOT_FOUND');
  });

  it('lets go of a run when it finishes, cancel request included', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created(), ev.started()]);
    await store().runs.requestCancel('R1', 'stop');
    await store().runs.append('R1', [ev.cancelled('stop', T0 + 9)]);
    const record = await store().runs.getRun('R1');
    expect(record?.owner).toBeUndefined();
    expect(record?.cancel_requested).toBeUndefined();
    expect(record?.status).toBe('cancelled');
  });

  it('claims by lease: fence 1 for the creator, the same fence when it claims again, a higher one for each new owner', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created()]);
    expect(await store().runs.getRun('R1')).toMatchObject({ owner: me, fence: 1 });
    expect((await store().runs.getRun('R1'))?.lease_until).toBeGreaterThan(0);
    expect((await store().runs.claimRun('R1', me, T0 + 5, () => false)).record.fence).toBe(1);
    expect((await store().runs.claimRun('R1', other, T0 + 10, () => true)).record).toMatchObject({ owner: other, fence: 2 });
    await store().runs.releaseRun('R1', other);
    const released = await store().runs.getRun('R1');
    expect(released?.owner).toBeUndefined();
    expect(released?.lease_until).toBeUndefined();
    expect(released?.fence).toBe(2);
    expect((await store().runs.claimRun('R1', me, T0 + 20, () => false)).record.fence).toBe(3);
    await store().runs.createRun(run('R2'), [ev.created()]);
    expect((await store().runs.getRun('R2'))?.fence).toBeUndefined();
  });

  it('refuses, and records nothing of, an append by a process whose claim was taken over', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created(), ev.started()]);
    await store().runs.append('R1', [ev.ready('a')], { fence: 1 });
    await store().runs.claimRun('R1', other, T0 + 10, () => true);
    const lost = await rejection(store().runs.append('R1', [ev.start('a', 1)], { fence: 1 }));
    expect(lost.code).toBe('STORE_LEASE_LOST');
    expect(lost.message).toContain('R1');
    expect((await store().runs.readEvents('R1')).map((e) => e.type)).toEqual(['RunCreated', 'RunStarted', 'TaskReady']);
    expect(await store().runs.listTasks('R1')).toEqual([{ key: 'a', status: 'ready', attempt: 0 }]);
    expect((await rejection(store().runs.append('R1', [], { fence: 1 }))).code).toBe('STORE_LEASE_LOST');
    expect((await store().runs.append('R1', [ev.start('a', 1)], { fence: 2 }))[0].seq).toBe(4);
  });

  it('refuses an append that expected another last event', async () => {
    await store().runs.createRun(run('R1'), [ev.created(), ev.started()]);
    const conflict = await rejection(store().runs.append('R1', [ev.ready('a')], { expectedSeq: 1 }));
    expect(conflict.code).toBe('STORE_SEQ_CONFLICT');
    expect(await store().runs.readEvents('R1')).toHaveLength(2);
    expect((await store().runs.append('R1', [ev.ready('a')], { expectedSeq: 2 }))[0].seq).toBe(3);
  });

  it("lets anyone claim a run once its owner's lease has run out by the store's clock, and a heartbeat renews it", async () => {
    const now = Date.now();
    await store().runs.createRun({ id: 'R1', workflow: 'deploy', created_at: now, owner: me, lease_ms: 1 }, [ev.created(now)]);
    await store().runs.createRun({ id: 'R2', workflow: 'deploy', created_at: now, owner: me, lease_ms: 1 }, [ev.created(now)]);
    await store().runs.heartbeat('R2', me, now, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const expired = await store().runs.claimRun('R1', other, Date.now(), () => false);
    expect(expired.claimed).toBe(true);
    expect(expired.record.fence).toBe(2);
    expect((await store().runs.claimRun('R2', other, Date.now(), () => false)).claimed).toBe(false);
  });

  it('clears the lease, keeping the fence, when the run finishes', async () => {
    await store().runs.createRun({ ...run('R1'), owner: me }, [ev.created(), ev.started()]);
    await store().runs.append('R1', [ev.succeeded()], { fence: 1 });
    const record = await store().runs.getRun('R1');
    expect(record?.lease_until).toBeUndefined();
    expect(record?.fence).toBe(1);
  });
}
