/**
 * Approval and wait tasks of workflow files under `baton serve`: answered over the API by
 * tokens the approvers name (and refused, 403, for those they do not), a paused task
 * resolved over the API, and a timeout fired by the server's timers while no process drives
 * the run. Real daemons on an ephemeral loopback port and real HTTP.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Role } from '../src/access/roles.js';
import { newToken } from '../src/access/tokens.js';
import { openStore } from '../src/store/open.js';
import { json, killServers, project, serve, sse } from './serve-helpers.js';

afterEach(killServers);

type Event = Record<string, unknown> & { type: string; at: number; task?: string };

const GATE = `name: gate
tasks:
  - id: go
    type: approval
    prompt: ship it?
    approvers: [alice, role:admin]
  - id: check
    command: 'test -f fixed || exit 3'
    depends_on: [go]
    on_failure: pause
`;

const TIMED = `name: timed
tasks:
  - id: go
    type: approval
    approvers: [alice]
    timeout: 2s
`;

async function makeToken(dir: string, roles: Role[], name: string): Promise<string> {
  const store = openStore(path.join(dir, '.baton', 'baton.db'));
  try {
    const made = newToken();
    await store.access.addToken({ id: made.id, name, roles, namespace: 'default', hash: made.hash, created_at: Date.now(), created_by: 'test' });
    return made.token;
  } finally {
    await store.close();
  }
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('approval and wait tasks under baton serve', () => {
  it('answered over the API: a token the approvers name approves, another approver gets 403; an operator skips a paused task', async () => {
    const dir = project({ 'gate.yaml': GATE });
    const alice = await makeToken(dir, ['approver'], 'alice');
    const bob = await makeToken(dir, ['approver'], 'bob');
    const operator = await makeToken(dir, ['operator'], 'ops');
    const s = await serve(dir);
    const as = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
    const started = await json(await fetch(`${s.base}/api/workflows/gate/runs`, { method: 'POST', headers: as(operator), body: '{}' }));
    const runId = started.body.run_id as string;
    const view = () => fetch(`${s.base}/api/runs/${runId}`, { headers: as(operator) }).then(json);
    await waitFor(view, (v) => v.body.status === 'waiting', 'the run to wait');

    const open = await json(await fetch(`${s.base}/api/approvals`, { headers: as(bob) }));
    expect(open.body.approvals).toEqual([expect.objectContaining({ run_id: runId, task: 'go', prompt: 'ship it?', approvers: ['alice', 'role:admin'] })]);

    const refused = await json(await fetch(`${s.base}/api/runs/${runId}/approvals/go`, { method: 'POST', headers: as(bob), body: JSON.stringify({ approved: true }) }));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'APPROVAL_NOT_APPROVER' });
    expect((refused.body.error as { message: string }).message).toContain('may be answered only by alice, role:admin; this answer came from bob (roles: approver)');

    const approved = await json(await fetch(`${s.base}/api/runs/${runId}/approvals/go`, { method: 'POST', headers: as(alice), body: JSON.stringify({ approved: true, comment: 'go' }) }));
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    // The check fails and pauses: the run waits again, for a decision.
    const pausedView = await waitFor(view, (v) => (v.body.tasks as Array<{ id: string; status: string }>).some((t) => t.id === 'check' && t.status === 'waiting') && v.body.status === 'waiting', 'the check to pause');
    const go = (pausedView.body.tasks as Array<{ id: string; outputs?: Record<string, unknown> }>).find((t) => t.id === 'go')!;
    expect(go.outputs).toMatchObject({ approved: true, comment: 'go', by: expect.stringMatching(/^token:/) });

    // An approver may not resolve it (that is an operator's), the operator may.
    const denied = await fetch(`${s.base}/api/runs/${runId}/pauses/check`, { method: 'POST', headers: as(alice), body: JSON.stringify({ resolution: 'skip' }) });
    expect(denied.status).toBe(403);
    const skipped = await json(await fetch(`${s.base}/api/runs/${runId}/pauses`, { method: 'POST', headers: as(operator), body: JSON.stringify({ resolution: 'skip', comment: 'known issue' }) }));
    expect(skipped.status, JSON.stringify(skipped.body)).toBe(200);
    expect(skipped.body).toEqual({ run_id: runId, task: 'check', resolution: 'skip' });
    const done = await waitFor(view, (v) => v.body.status === 'succeeded', 'the run to end');
    expect((done.body.tasks as Array<{ id: string; status: string }>).map((t) => [t.id, t.status])).toEqual([
      ['go', 'succeeded'],
      ['check', 'skipped'],
    ]);
  }, 60_000);

  it("fires an approval's timeout from the store's timers while no process drives the run", async () => {
    const dir = project({ 'timed.yaml': TIMED });
    const s = await serve(dir);
    const started = await json(await fetch(`${s.base}/api/workflows/timed/runs`, { method: 'POST' }));
    const runId = started.body.run_id as string;
    const status = async () => (await json(await fetch(`${s.base}/api/runs/${runId}`))).body.status as string;
    await waitFor(status, (v) => v === 'failed', 'the timeout to fail the run');
    const events = (await sse(`${s.base}/api/runs/${runId}/events?logs=false`)).map((e) => e.data as Event);
    const due = (events.find((e) => e.type === 'TaskStarted' && e.task === 'go')!.step as { timeout_at: number }).timeout_at;
    // Let go once it only waited, and taken up again when the timer came due, once.
    expect(events.filter((e) => e.type === 'RunWaiting')).toHaveLength(1);
    const resumed = events.filter((e) => e.type === 'RunResumed');
    expect(resumed).toHaveLength(1);
    expect(resumed[0].at).toBeGreaterThanOrEqual(due);
    expect(events.filter((e) => e.type === 'TaskFailed')).toEqual([expect.objectContaining({ task: 'go', error: expect.objectContaining({ code: 'APPROVAL_TIMEOUT' }) })]);
    expect(s.log()).toMatch(new RegExp(`run ${runId}: its sleep or wait timeout came due`));
  }, 60_000);
});
