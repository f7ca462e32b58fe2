/**
 * Access control of `baton serve`, tried from outside (issue 11): every row of the
 * permission table with no token, a forged, a revoked and an expired token, a token of each
 * role, and an admin of another namespace; path traversal in every id and name; a token in
 * the query string; brute force slowed; refusals and actions in the audit trail.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_RULES, type RouteRule } from '../src/access/permissions.js';
import { allows, type Role } from '../src/access/roles.js';
import { newToken } from '../src/access/tokens.js';
import { openStore } from '../src/store/open.js';
import { HELLO, json, killServers, project, serve, type Served } from './serve-helpers.js';

const WAIT = 'name: waits\ntasks:\n  - id: nap\n    command: sleep 30\n';

interface Caller {
  label: string;
  token?: string;
  roles: Role[];
  /** What a request with it must get whatever the route: 401 with this code. */
  refused?: string;
  /** A token of another namespace: what it cannot see is 404. */
  foreign?: boolean;
}

let dir: string;
let server: Served;
let runId: string;
const callers: Caller[] = [];

async function makeToken(roles: Role[], namespace: string, change: { revoked?: boolean; expired?: boolean } = {}): Promise<string> {
  const store = openStore(path.join(dir, '.baton', 'baton.db'));
  try {
    const made = newToken();
    const now = Date.now();
    await store.access.addToken({
      id: made.id,
      roles,
      namespace,
      hash: made.hash,
      created_at: now,
      created_by: 'test',
      ...(change.expired ? { expires_at: now - 1000 } : {}),
      ...(change.revoked ? { revoked_at: now - 1000 } : {}),
    });
    return made.token;
  } finally {
    await store.close();
  }
}

function request(base: string, rule: RouteRule, token: string | undefined, values: { id: string; namespace?: string }): Promise<Response> {
  const url = base + rule.path.replace('{id}', rule.path.startsWith('/api/schedules') ? 'added:1' : rule.path.startsWith('/api/tokens') ? 'zzzzzzzzzzzz' : values.id).replace('{name}', 'hello').replace('{task}', 'say').replace('{namespace}', 'acme').replace('*', 'nowhere');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const bodies: Record<string, unknown> = {
    '/api/workflows/{name}/runs': { inputs: { who: 'walk' } },
    '/api/runs/{id}/approvals': { approved: true },
    '/api/runs/{id}/approvals/{task}': { approved: false, comment: 'no' },
    '/api/runs/{id}/pauses': { resolution: 'retry' },
    '/api/runs/{id}/pauses/{task}': { resolution: 'abort', comment: 'no' },
    '/api/schedules': { workflow: 'hello', cron: '0 3 * * *' },
    '/api/tokens': { roles: ['viewer'] },
    '/api/validate': { text: HELLO },
    '/api/runs/{id}/retry': {},
    '/api/events/{name}': { data: { x: 1 } },
  };
  if (rule.method === 'GET') return fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (rule.path === '/mcp') return fetch(url, { method: rule.method, headers: { ...headers, accept: 'application/json, text/event-stream' }, body: rule.method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) : null });
  return fetch(url, { method: rule.method, headers, body: JSON.stringify(bodies[rule.path] ?? {}) });
}

beforeAll(async () => {
  dir = project({ 'hello.yaml': HELLO, 'waits.yaml': WAIT, 'baton.config.yaml': 'store: .baton/baton.db\nserver:\n  namespaces:\n    acme: {workflows: acme}\n' });
  mkdirSync(path.join(dir, 'acme'));
  writeFileSync(path.join(dir, 'acme', 'other.yaml'), HELLO.replace('name: hello', 'name: other'));
  // Without tokens the server is open to local callers: record a run of `default` first.
  // Failures from the walk below would otherwise lock the test's address out.
  server = await serve(dir, '--auth-rate', '100000');
  const started = await json(await fetch(`${server.base}/api/workflows/hello/runs`, { method: 'POST' }));
  runId = started.body.run_id as string;
  expect(server.log()).toMatch(/no tokens in this store: listening on loopback only/);
  callers.push(
    { label: 'no token', roles: [], refused: 'AUTH_MISSING' },
    { label: 'a forged token', token: `baton_${'a'.repeat(12)}_${'b'.repeat(43)}`, roles: [], refused: 'AUTH_BAD_TOKEN' },
    { label: 'not a token', token: 'hunter2', roles: [], refused: 'AUTH_BAD_TOKEN' },
    { label: 'a revoked admin token', token: await makeToken(['admin'], 'default', { revoked: true }), roles: [], refused: 'AUTH_REVOKED' },
    { label: 'an expired admin token', token: await makeToken(['admin'], 'default', { expired: true }), roles: [], refused: 'AUTH_EXPIRED' },
    { label: 'viewer', token: await makeToken(['viewer'], 'default'), roles: ['viewer'] },
    { label: 'operator', token: await makeToken(['operator'], 'default'), roles: ['operator'] },
    { label: 'approver', token: await makeToken(['approver'], 'default'), roles: ['approver'] },
    { label: 'admin', token: await makeToken(['admin'], 'default'), roles: ['admin'] },
    { label: 'admin of acme', token: await makeToken(['admin'], 'acme'), roles: ['admin'], foreign: true },
  );
}, 30_000);

afterAll(() => killServers());

describe('the permission table, walked', () => {
  const rules = ROUTE_RULES.filter((rule) => rule.need !== 'public' && rule.need !== 'signed');

  it('answers every row for every caller as its roles and namespace say', async () => {
    const wrong: string[] = [];
    for (const caller of callers) {
      for (const rule of rules) {
        const res = await request(server.base, rule, caller.token, { id: runId });
        const text = await res.text();
        const code = /"code":"([A-Z_]+)"/.exec(text)?.[1];
        const what = `${caller.label}: ${rule.method} ${rule.path} -> ${res.status} ${code ?? ''}`;
        if (caller.refused) {
          if (res.status !== 401 || code !== caller.refused) wrong.push(`${what} (want 401 ${caller.refused})`);
          continue;
        }
        if (!allows(caller.roles, rule.need as Exclude<RouteRule['need'], 'public' | 'signed'>)) {
          if (res.status !== 403 || code !== 'ACCESS_DENIED') wrong.push(`${what} (want 403 ACCESS_DENIED)`);
          continue;
        }
        if (res.status === 401 || res.status === 403) wrong.push(`${what} (want it let through)`);
        // Another namespace's run and workflow are not found, never "forbidden".
        if (caller.foreign && (rule.path.includes('{id}') && rule.path.startsWith('/api/runs') || rule.path === '/api/workflows/{name}' || rule.path === '/api/workflows/{name}/runs')) {
          if (res.status !== 404) wrong.push(`${what} (want 404: another namespace's)`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('shows a token of another namespace nothing of this one', async () => {
    const acme = callers.find((c) => c.foreign)!.token!;
    const auth = { authorization: `Bearer ${acme}` };
    const runs = await json(await fetch(`${server.base}/api/runs?limit=100`, { headers: auth }));
    expect((runs.body.runs as Array<{ run_id: string }>).map((r) => r.run_id)).not.toContain(runId);
    const workflows = await json(await fetch(`${server.base}/api/workflows`, { headers: auth }));
    expect((workflows.body.workflows as Array<{ name: string }>).map((w) => w.name)).toEqual(['other']);
    // Asking for the default namespace by header is answered as if it did not exist.
    const asked = await json(await fetch(`${server.base}/api/runs`, { headers: { ...auth, 'x-baton-namespace': 'default' } }));
    expect([asked.status, (asked.body.error as { code: string }).code]).toEqual([404, 'NAMESPACE_NOT_FOUND']);
    // A run of acme is acme's: the default namespace's admin does not find it.
    const started = await json(await fetch(`${server.base}/api/workflows/other/runs`, { method: 'POST', headers: auth }));
    expect(started.status).toBe(201);
    const admin = callers.find((c) => c.label === 'admin')!.token!;
    const probe = await fetch(`${server.base}/api/runs/${started.body.run_id as string}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(probe.status).toBe(404);
    const mine = await fetch(`${server.base}/api/runs/${started.body.run_id as string}`, { headers: auth });
    expect(mine.status).toBe(200);
    // Its admin makes tokens of acme only, and sees only acme's.
    const post = (body: unknown) => fetch(`${server.base}/api/tokens`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await json(await post({ roles: ['admin'], namespace: 'default' }))).status).toBe(403);
    expect((await json(await post({ roles: ['admin'], namespace: '*' }))).status).toBe(403);
    const made = await json(await post({ roles: ['viewer'], name: 'acme reader' }));
    expect(made.body).toMatchObject({ namespace: 'acme', roles: ['viewer'], state: 'active' });
    const listed = await json(await fetch(`${server.base}/api/tokens`, { headers: auth }));
    expect(new Set((listed.body.tokens as Array<{ namespace: string }>).map((t) => t.namespace))).toEqual(new Set(['acme']));
    expect(JSON.stringify(listed.body)).not.toMatch(/hash/);
    const defaultToken = (await json(await fetch(`${server.base}/api/tokens`, { headers: { authorization: `Bearer ${admin}` } }))).body.tokens as Array<{ id: string; namespace: string }>;
    const foreignId = defaultToken.find((t) => t.namespace === 'default')!.id;
    const revoke = await json(await fetch(`${server.base}/api/tokens/${foreignId}/revoke`, { method: 'POST', headers: auth }));
    expect([revoke.status, (revoke.body.error as { code: string }).code]).toEqual([404, 'TOKEN_NOT_FOUND']);
  }, 30_000);
});

describe('input that aims at paths', () => {
  it('refuses traversal in ids, names and namespaces before they reach a path or a query', async () => {
    const admin = { authorization: `Bearer ${callers.find((c) => c.label === 'admin')!.token!}` };
    const probes = [
      '/api/runs/..%2F..%2Fetc%2Fpasswd',
      '/api/runs/..',
      `/api/runs/${runId}/logs?task=..%2F..%2F..%2F..%2Fetc%2Fpasswd`,
      '/api/workflows/..%2F..%2Fetc%2Fpasswd',
      '/api/schedules/file:..%2F..:0/pause',
    ];
    for (const probe of probes) {
      const res = await fetch(server.base + probe, { method: probe.endsWith('/pause') ? 'POST' : 'GET', headers: admin });
      const text = await res.text();
      expect(text, probe).not.toMatch(/root:x:0:0/);
      expect([200, 400, 404], probe).toContain(res.status);
    }
    const ns = await fetch(`${server.base}/api/runs`, { headers: { ...admin, 'x-baton-namespace': '../default' } });
    expect(ns.status).toBe(404);
  });

  it('refuses a token in the query string, even a good one', async () => {
    const admin = callers.find((c) => c.label === 'admin')!.token!;
    const res = await json(await fetch(`${server.base}/api/runs?token=${admin}`));
    expect([res.status, (res.body.error as { code: string }).code]).toEqual([400, 'AUTH_TOKEN_IN_QUERY']);
    expect(server.log()).not.toContain(admin);
  });
});

describe('the audit trail', () => {
  it('records actions and refusals with who, what and how it ended', async () => {
    const store = openStore(path.join(dir, '.baton', 'baton.db'));
    try {
      const entries = await store.access.listAudit({ limit: 5000 });
      const seen = (action: string, outcome: string, actor?: RegExp) => entries.some((e) => e.action === action && e.outcome === outcome && (actor === undefined || actor.test(e.actor)));
      expect(seen('auth.failed', 'refused', /^anonymous$/)).toBe(true);
      expect(seen('run.start', 'ok', /^local$/)).toBe(true);
      expect(seen('run.start', 'ok', /^token:/)).toBe(true);
      expect(seen('run.start', 'refused', /^token:/)).toBe(true);
      expect(seen('run.cancel', 'ok', /^token:/) || seen('run.cancel', 'refused', /^token:/)).toBe(true);
      expect(seen('approval.answer', 'refused')).toBe(true);
      expect(seen('schedule.add', 'ok', /^token:/)).toBe(true);
      const refused = entries.filter((e) => e.action === 'auth.failed' && e.code === 'AUTH_REVOKED');
      expect(refused.find((e) => e.target === `GET /api/runs/${runId}`)).toMatchObject({ origin: 'api', outcome: 'refused', namespace: 'default', detail: { address: expect.stringMatching(/127\.0\.0\.1/) } });
      expect(refused.find((e) => e.target === 'POST /mcp')).toMatchObject({ origin: 'mcp' });
      expect(JSON.stringify(entries)).not.toMatch(/baton_[0-9a-z]{12}_[A-Za-z0-9_-]{43}/);
    } finally {
      await store.close();
    }
  });
});

describe('brute force', () => {
  it('answers 429 to an address after 20 failures in a minute, a good token included', async () => {
    server.child.kill('SIGTERM');
    await server.exited;
    server = await serve(dir);
    let status = 0;
    for (let i = 0; i < 20; i++) {
      status = (await fetch(`${server.base}/api/runs`, { headers: { authorization: `Bearer baton_${'c'.repeat(12)}_${String(i).padStart(43, 'x')}` } })).status;
      expect(status).toBe(401);
    }
    const admin = callers.find((c) => c.label === 'admin')!.token!;
    const blocked = await fetch(`${server.base}/api/runs`, { headers: { authorization: `Bearer ${admin}` } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('AUTH_RATE_LIMITED');
    // Liveness stays public.
    expect((await fetch(`${server.base}/healthz`)).status).toBe(200);
  }, 30_000);
});
