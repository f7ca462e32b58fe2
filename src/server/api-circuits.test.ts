/**
 * GET /api/circuits and POST /api/circuits/{name}/reset on a real app over a memory store
 * (no tokens: a loopback server), with circuits put in the store as runs would.
 */
import { describe, expect, it } from 'vitest';
import { createApi } from './api.js';
import { Daemon } from './daemon.js';
import { createMemoryStore } from '../store/memory/memory-store.js';

const LIMITS = { failures: 2, window: 60_000, open_for: 30_000, probes: 1 };

describe('the circuits API', () => {
  it('lists the namespace circuits with their state, and resets one (404 once there is nothing to reset)', async () => {
    const store = createMemoryStore();
    const daemon = new Daemon({ store, workflowsDir: process.cwd(), owner: { host: 'test', pid: process.pid, started_at: 1 }, log: () => {} });
    const app = createApi(daemon);
    const now = Date.now();
    for (const at of [now - 2, now - 1]) await store.circuits.record({ namespace: 'default', name: 'payments-api' }, LIMITS, { result: 'failure', at });
    await store.circuits.record({ namespace: 'default', name: 'search' }, LIMITS, { result: 'failure', at: now });
    await store.circuits.record({ namespace: 'team-b', name: 'hidden' }, LIMITS, { result: 'failure', at: now });
    const listed = await app.request('/api/circuits');
    expect(listed.status).toBe(200);
    const { circuits } = (await listed.json()) as { circuits: Array<Record<string, unknown>> };
    expect(circuits.map((c) => `${c.name}:${c.state}:${c.failures}`)).toEqual(['payments-api:open:0', 'search:closed:1']);
    expect(circuits[0]).toMatchObject({ opened_after: 2, limits: { failures: 2, window_ms: 60_000, open_for_ms: 30_000, probes: 1 } });
    const reset = await app.request('/api/circuits/payments-api/reset', { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(await reset.json()).toMatchObject({ name: 'payments-api', reset: true, was: { state: 'open' } });
    expect(await store.circuits.get({ namespace: 'default', name: 'payments-api' })).toBeUndefined();
    const again = await app.request('/api/circuits/payments-api/reset', { method: 'POST' });
    expect(again.status).toBe(404);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('CIRCUIT_NOT_FOUND');
    expect((await app.request('/api/circuits/bad%20name/reset', { method: 'POST' })).status).toBe(400);
    await store.close();
  });
});
