/**
 * GET /api/notifications on a real app over a memory store (no tokens: a loopback server):
 * the caller's namespace only, newest first, filters, and no claim details.
 */
import { describe, expect, it } from 'vitest';
import { createApi } from './api.js';
import { Daemon } from './daemon.js';
import { createMemoryStore } from '../store/memory/memory-store.js';

const item = (key: string, extra: Record<string, unknown> = {}) => ({ key, namespace: 'default', channel: 'ops', run_id: 'R1', notice: { kind: 'run', title: 'nightly failed', text: 'x' }, ...extra });

describe('the notifications API', () => {
  it("lists the namespace's notifications newest first, filtered, without who holds them", async () => {
    const store = createMemoryStore();
    const daemon = new Daemon({ store, workflowsDir: process.cwd(), owner: { host: 'test', pid: process.pid, started_at: 1 }, log: () => {} });
    const app = createApi(daemon);
    await store.outbox.add([item('a'), item('b', { channel: 'team', run_id: 'R2' }), item('hidden', { namespace: 'team-b' })], 1000);
    const [claimed] = await store.outbox.claim({ sender: 'host:1', now: 1000, leaseMs: 60_000, limit: 1 });
    await store.outbox.failed(claimed, { code: 'HTTP_STATUS', message: 'HTTP 404' });
    const all = (await (await app.request('/api/notifications')).json()) as { notifications: Array<Record<string, unknown>> };
    expect(all.notifications.map((n) => [n.key, n.state])).toEqual([['b', 'pending'], ['a', 'failed']]);
    expect(all.notifications[1]).toMatchObject({ attempts: 1, error: { code: 'HTTP_STATUS', message: 'HTTP 404' }, notice: { title: 'nightly failed' } });
    expect(all.notifications[1]).not.toHaveProperty('sender');
    expect(all.notifications[1]).not.toHaveProperty('fence');
    const failed = (await (await app.request('/api/notifications?state=failed')).json()) as { notifications: unknown[] };
    expect(failed.notifications).toHaveLength(1);
    const ofRun = (await (await app.request('/api/notifications?run=R2&channel=team')).json()) as { notifications: Array<{ key: string }> };
    expect(ofRun.notifications.map((n) => n.key)).toEqual(['b']);
    expect((await app.request('/api/notifications?state=lost')).status).toBe(400);
    expect((await app.request('/api/notifications?limit=0')).status).toBe(400);
  });
});
