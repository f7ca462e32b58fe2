import { expect, it } from 'vitest';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { NewFiring } from './triggers.js';

const firing = (over: Partial<NewFiring> = {}): NewFiring => ({ workflow: 'deploy', trigger: 'webhook', source: '/hooks/deploy', at: T0, outcome: 'started', ...over });

export function triggerContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  it('records firings, newest first, with filters and paging', async () => {
    const t = store().triggers;
    const a = await t.recordFiring(firing());
    const b = await t.recordFiring(firing({ outcome: 'refused', code: 'WEBHOOK_SIGNATURE', reason: 'bad signature', at: T0 + 1 }));
    const c = await t.recordFiring(firing({ workflow: 'nightly', trigger: 'schedule', source: '0 2 * * *', at: T0 + 2 }));
    if (!('firing' in a) || !('firing' in b) || !('firing' in c)) throw new Error('expected new firings');
    expect(b.firing.id).toBeGreaterThan(a.firing.id);
    expect(b.firing).toEqual({ id: b.firing.id, namespace: 'default', workflow: 'deploy', trigger: 'webhook', source: '/hooks/deploy', at: T0 + 1, outcome: 'refused', code: 'WEBHOOK_SIGNATURE', reason: 'bad signature' });
    expect((await t.listFirings()).map((f) => f.id)).toEqual([c.firing.id, b.firing.id, a.firing.id]);
    expect((await t.listFirings({ workflow: 'deploy' })).map((f) => f.id)).toEqual([b.firing.id, a.firing.id]);
    expect((await t.listFirings({ outcome: 'refused' })).map((f) => f.id)).toEqual([b.firing.id]);
    expect((await t.listFirings({ limit: 1 })).map((f) => f.id)).toEqual([c.firing.id]);
    expect((await t.listFirings({ before: c.firing.id })).map((f) => f.id)).toEqual([b.firing.id, a.firing.id]);
    await t.updateFiring(a.firing.id, { outcome: 'started', run_id: 'R1' });
    expect((await t.listFirings({ workflow: 'deploy' }))[1]).toMatchObject({ run_id: 'R1', outcome: 'started' });
  });

  it('records a delivery once per workflow: the second is the first returned as a duplicate', async () => {
    const t = store().triggers;
    const first = await t.recordFiring(firing({ delivery: 'gh-1' }));
    const again = await t.recordFiring(firing({ delivery: 'gh-1', at: T0 + 5 }));
    const other = await t.recordFiring(firing({ workflow: 'audit', delivery: 'gh-1' }));
    if (!('firing' in first)) throw new Error('expected a new firing');
    expect(again).toEqual({ duplicate: first.firing });
    expect('firing' in other).toBe(true);
    expect(await t.listFirings({ workflow: 'deploy' })).toHaveLength(1);
  });

  it('keeps emitted events in order for event triggers', async () => {
    const t = store().triggers;
    expect(await t.lastEmitted()).toBe(0);
    const one = await t.recordEmitted({ name: 'deploy-requested', data: { env: 'prod' }, at: T0 });
    const two = await t.recordEmitted({ name: 'other', data: null, at: T0 + 1, run_id: 'R9' });
    expect(two).toBeGreaterThan(one);
    expect(await t.lastEmitted()).toBe(two);
    expect(await t.emittedAfter(0, 10)).toEqual([
      { seq: one, namespace: 'default', name: 'deploy-requested', data: { env: 'prod' }, at: T0 },
      { seq: two, namespace: 'default', name: 'other', data: null, at: T0 + 1, run_id: 'R9' },
    ]);
    expect((await t.emittedAfter(one, 10)).map((e) => e.seq)).toEqual([two]);
    expect(await t.emittedAfter(0, 1)).toHaveLength(1);
  });

  it('lists runs in the order they ended, after a cursor', async () => {
    const s = store();
    await s.runs.createRun({ id: 'R1', workflow: 'build', created_at: T0 }, [ev.created(T0), ev.started(T0)]);
    await s.runs.createRun({ id: 'R2', workflow: 'build', created_at: T0 }, [ev.created(T0), ev.started(T0)]);
    await s.runs.createRun({ id: 'R3', workflow: 'build', created_at: T0 }, [ev.created(T0), ev.started(T0)]);
    await s.runs.append('R2', [ev.succeeded(T0 + 10)]);
    await s.runs.append('R1', [ev.failed(T0 + 20)]);
    const all = await s.triggers.runsEndedAfter({ ended_at: 0, id: '' }, 10);
    expect(all).toEqual([
      { id: 'R2', namespace: 'default', workflow: 'build', status: 'succeeded', ended_at: T0 + 10 },
      { id: 'R1', namespace: 'default', workflow: 'build', status: 'failed', ended_at: T0 + 20 },
    ]);
    expect(await s.triggers.runsEndedAfter({ ended_at: T0 + 10, id: 'R2' }, 10)).toEqual([all[1]]);
  });

  it('keeps cursors and schedules', async () => {
    const t = store().triggers;
    expect(await t.getCursor('events')).toBeUndefined();
    await t.setCursor('events', '7');
    await t.setCursor('events', '8');
    expect(await t.getCursor('events')).toBe('8');
    const added = await t.putSchedule({ workflow: 'report', file: '/p/report.yaml', cron: '0 2 * * *', timezone: 'Europe/Berlin', missed: 'skip', paused: false, created_at: T0 });
    const second = await t.putSchedule({ workflow: 'report', file: '/p/report.yaml', cron: '*/5 * * * *', paused: false, created_at: T0 + 1 });
    expect(added.id).not.toBe(second.id);
    await t.putSchedule({ id: 'file:nightly:0', workflow: 'nightly', paused: true, created_at: T0 + 2 });
    await t.putSchedule({ ...added, paused: true });
    expect(await t.listSchedules()).toEqual([
      { id: added.id, namespace: 'default', workflow: 'report', file: '/p/report.yaml', cron: '0 2 * * *', timezone: 'Europe/Berlin', missed: 'skip', paused: true, created_at: T0 },
      { id: second.id, namespace: 'default', workflow: 'report', file: '/p/report.yaml', cron: '*/5 * * * *', paused: false, created_at: T0 + 1 },
      { id: 'file:nightly:0', namespace: 'default', workflow: 'nightly', paused: true, created_at: T0 + 2 },
    ]);
    expect(await t.removeSchedule(second.id)).toBe(true);
    expect(await t.removeSchedule(second.id)).toBe(false);
    expect((await t.listSchedules()).map((r) => r.id)).toEqual([added.id, 'file:nightly:0']);
  });

  it("keeps each namespace's firings, events, schedules and runs apart", async () => {
    const s = store();
    const t = s.triggers;
    await t.recordFiring(firing({ namespace: 'acme', delivery: 'd-1' }));
    // One delivery id, two namespaces: two deliveries.
    expect('firing' in (await t.recordFiring(firing({ delivery: 'd-1' })))).toBe(true);
    expect('duplicate' in (await t.recordFiring(firing({ namespace: 'acme', delivery: 'd-1' })))).toBe(true);
    expect((await t.listFirings({ namespace: 'acme' })).map((f) => f.namespace)).toEqual(['acme']);
    expect((await t.listFirings({ namespace: 'default' })).map((f) => f.delivery)).toEqual(['d-1']);
    await t.recordEmitted({ namespace: 'acme', name: 'go', data: null, at: T0 });
    expect((await t.emittedAfter(0, 10)).map((e) => e.namespace)).toEqual(['acme']);
    await t.putSchedule({ namespace: 'acme', id: 'file:nightly:0', workflow: 'nightly', paused: true, created_at: T0 });
    await t.putSchedule({ id: 'file:nightly:0', workflow: 'nightly', paused: false, created_at: T0 });
    expect((await t.listSchedules('acme')).map((r) => [r.namespace, r.paused])).toEqual([['acme', true]]);
    expect((await t.listSchedules('default')).map((r) => [r.namespace, r.paused])).toEqual([['default', false]]);
    expect(await t.removeSchedule('file:nightly:0', 'acme')).toBe(true);
    expect(await t.listSchedules()).toHaveLength(1);
    await s.runs.createRun({ id: 'RA', workflow: 'build', created_at: T0 }, [{ ...ev.created(T0), namespace: 'acme' } as never, ev.started(T0)]);
    await s.runs.createRun({ id: 'RD', workflow: 'build', created_at: T0 + 1 }, [ev.created(T0 + 1), ev.started(T0 + 1)]);
    expect((await s.runs.getRun('RA'))?.namespace).toBe('acme');
    expect((await s.runs.listRuns({ namespace: 'acme' })).map((r) => r.id)).toEqual(['RA']);
    expect((await s.runs.listRuns({ namespace: 'default' })).map((r) => r.id)).toEqual(['RD']);
    expect(await s.runs.resolveRunId('RA', 'acme')).toBe('RA');
    expect(await s.runs.resolveRunId('R', 'acme')).toBe('RA');
    await expect(s.runs.resolveRunId('RA', 'default')).rejects.toMatchObject({ code: 'STORE_RUN_NOT_FOUND' });
    await s.runs.append('RA', [ev.succeeded(T0 + 10)]);
    expect((await t.runsEndedAfter({ ended_at: 0, id: '' }, 10)).map((r) => [r.id, r.namespace])).toEqual([['RA', 'acme']]);
  });
}
