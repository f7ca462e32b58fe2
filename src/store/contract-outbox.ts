import { expect, it } from 'vitest';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { OpenSibling } from './contract-keys.js';
import type { OutboxItem } from './outbox.js';

const item = (key: string, extra: Partial<OutboxItem> = {}): OutboxItem => ({
  key,
  namespace: 'default',
  channel: 'ops',
  run_id: 'R1',
  notice: { kind: 'run', title: 'deploy failed', text: 'task b failed', status: 'failed' },
  ...extra,
});
const claimAt = (now: number, extra: { runId?: string; limit?: number; sender?: string } = {}) => ({ sender: extra.sender ?? 'host:1', now, leaseMs: 60_000, limit: extra.limit ?? 10, ...(extra.runId ? { runId: extra.runId } : {}) });

export function outboxContract(makeStore: MakeStore, openSibling: OpenSibling): void {
  const store = useStore(makeStore);

  it('writes notices with the events that cause them, and not without them', async () => {
    const s = store();
    await s.runs.createRun({ id: 'R1', workflow: 'deploy', created_at: T0 }, [ev.created()]);
    await s.runs.append('R1', [ev.started(T0 + 1), { type: 'RunFailed', error: { code: 'RUN_TASKS_FAILED', message: '1 task failed: b' }, at: T0 + 5 }], { notices: [item('run:R1@5:ops'), item('run:R1@5:mail', { channel: 'mail' })] });
    const listed = await s.outbox.list();
    expect(listed.map((r) => [r.key, r.channel, r.state, r.attempts, r.repeats, r.created_at, r.next_at])).toEqual([
      ['run:R1@5:mail', 'mail', 'pending', 0, 0, T0 + 5, T0 + 5],
      ['run:R1@5:ops', 'ops', 'pending', 0, 0, T0 + 5, T0 + 5],
    ]);
    expect(listed[1]).toMatchObject({ namespace: 'default', run_id: 'R1', notice: { kind: 'run', title: 'deploy failed', status: 'failed' }, fence: 0 });
    // An append the store refuses writes none of its notices.
    await expect(s.runs.append('R1', [ev.started(T0 + 6)], { fence: 99, notices: [item('lost')] })).rejects.toMatchObject({ code: 'STORE_LEASE_LOST' });
    await expect(s.runs.append('nope', [ev.started(T0 + 6)], { notices: [item('lost2')] })).rejects.toMatchObject({ code: 'STORE_RUN_NOT_FOUND' });
    expect((await s.outbox.list()).map((r) => r.key)).not.toContain('lost');
    expect((await s.outbox.list()).map((r) => r.key)).not.toContain('lost2');
  });

  it('adds a key once and counts the rest as repeats', async () => {
    const s = store();
    expect(await s.outbox.add([item('alert:flaky:1'), item('alert:flaky:1'), item('alert:other:1')], T0)).toBe(2);
    expect(await s.outbox.add([item('alert:flaky:1')], T0 + 10)).toBe(0);
    const flaky = (await s.outbox.list()).find((r) => r.key === 'alert:flaky:1');
    expect(flaky).toMatchObject({ repeats: 2, created_at: T0, state: 'pending' });
  });

  it('claims what is due, oldest first, each by one sender, and marks it sent once', async () => {
    const s = store();
    await s.outbox.add([item('a'), item('b', { run_id: 'R2' }), item('c')], T0);
    expect(await s.outbox.claim(claimAt(T0 - 1))).toEqual([]);
    const mine = await s.outbox.claim(claimAt(T0, { limit: 2 }));
    expect(mine.map((r) => [r.key, r.state, r.attempts, r.fence, r.sender, r.lease_until])).toEqual([
      ['a', 'sending', 1, 1, 'host:1', T0 + 60_000],
      ['b', 'sending', 1, 1, 'host:1', T0 + 60_000],
    ]);
    // Claimed items are not due again while their claim holds.
    expect((await s.outbox.claim(claimAt(T0 + 1, { sender: 'host:2' }))).map((r) => r.key)).toEqual(['c']);
    expect(await s.outbox.sent(mine[0], T0 + 2)).toBe(true);
    expect(await s.outbox.sent(mine[0], T0 + 3)).toBe(false);
    expect((await s.outbox.list({ state: 'sent' })).map((r) => [r.key, r.sent_at])).toEqual([['a', T0 + 2]]);
    expect(await s.outbox.claim(claimAt(T0 + 10))).toEqual([]);
  });

  it('takes back an item whose sender stopped past its lease; the old claim can no longer mark it', async () => {
    const s = store();
    await s.outbox.add([item('a')], T0);
    const [first] = await s.outbox.claim(claimAt(T0));
    const [again] = await s.outbox.claim(claimAt(T0 + 60_000, { sender: 'host:2' }));
    expect(again).toMatchObject({ key: 'a', fence: 2, attempts: 2, sender: 'host:2' });
    expect(await s.outbox.sent(first, T0 + 60_001)).toBe(false);
    expect(await s.outbox.failed(first, { code: 'X', message: 'late' }, T0 + 70_000)).toBe(false);
    expect(await s.outbox.sent(again, T0 + 60_002)).toBe(true);
  });

  it('retries a failed send after its back-off, and keeps the error of one given up', async () => {
    const s = store();
    await s.outbox.add([item('a'), item('b')], T0);
    const [a, b] = await s.outbox.claim(claimAt(T0));
    expect(await s.outbox.failed(a, { code: 'HTTP_STATUS', message: 'HTTP 503' }, T0 + 5_000)).toBe(true);
    expect(await s.outbox.failed(b, { code: 'HTTP_STATUS', message: 'HTTP 400' })).toBe(true);
    expect(await s.outbox.claim(claimAt(T0 + 4_999))).toEqual([]);
    const [retried] = await s.outbox.claim(claimAt(T0 + 5_000));
    expect(retried).toMatchObject({ key: 'a', attempts: 2, error: { code: 'HTTP_STATUS', message: 'HTTP 503' } });
    expect((await s.outbox.list({ state: 'failed' })).map((r) => [r.key, r.attempts, r.error?.message])).toEqual([['b', 1, 'HTTP 400']]);
  });

  it("claims only one run's items when asked, and lists by run, channel and namespace", async () => {
    const s = store();
    await s.outbox.add([item('a'), item('b', { run_id: 'R2', channel: 'mail' }), item('c', { run_id: undefined, namespace: 'team' })], T0);
    expect((await s.outbox.claim(claimAt(T0, { runId: 'R2' }))).map((r) => r.key)).toEqual(['b']);
    expect((await s.outbox.list({ run_id: 'R1' })).map((r) => r.key)).toEqual(['a']);
    expect((await s.outbox.list({ channel: 'mail' })).map((r) => r.key)).toEqual(['b']);
    expect((await s.outbox.list({ namespace: 'team' })).map((r) => [r.key, r.run_id])).toEqual([['c', undefined]]);
    expect((await s.outbox.list({ limit: 2 })).map((r) => r.key)).toEqual(['c', 'b']);
  });

  it('prunes items sent or given up before a time, never pending ones', async () => {
    const s = store();
    await s.outbox.add([item('a'), item('b'), item('c')], T0);
    const [a, b] = await s.outbox.claim(claimAt(T0, { limit: 2 }));
    await s.outbox.sent(a, T0 + 10);
    await s.outbox.failed(b, { code: 'X', message: 'no' });
    expect(await s.outbox.prune(T0 + 11)).toBe(2);
    expect((await s.outbox.list()).map((r) => r.key)).toEqual(['c']);
    // A key pruned is free again.
    expect(await s.outbox.add([item('a')], T0 + 20)).toBe(1);
  });

  it('gives each due item to one of two stores sharing the data', async () => {
    const s = store();
    const other = await openSibling(s);
    try {
      await s.outbox.add(Array.from({ length: 20 }, (_, i) => item(`k${i}`)), T0);
      const [x, y] = await Promise.all([s.outbox.claim(claimAt(T0, { limit: 20, sender: 'a' })), other.outbox.claim(claimAt(T0, { limit: 20, sender: 'b' }))]);
      const keys = [...x, ...y].map((r) => r.key).sort();
      expect(keys).toEqual(Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
    } finally {
      await other.close();
    }
  });
}
