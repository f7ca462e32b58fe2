/**
 * `baton serve`'s triggers end to end: a real daemon on a loopback port, real HTTP, real
 * files and real `baton` processes emitting events and changing schedules.
 */
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton } from './helpers.js';
import { json, killServers, project, serve } from './serve-helpers.js';

afterEach(killServers);

const SECRET = 'it-is-a-secret';
process.env.BATON_TEST_HOOK_SECRET = SECRET;

const DEPLOY = `name: deploy
inputs:
  ref: { type: string, default: none }
outputs:
  said: "\${ tasks.show.outputs.stdout }"
triggers:
  - type: webhook
    config:
      webhook: /trigger/deploy
      secret_env: BATON_TEST_HOOK_SECRET
      filter: "trigger.payload.ref != 'refs/heads/skip'"
      inputs: { ref: "\${ trigger.payload.ref }" }
  - type: webhook
    config: { webhook: /open }
tasks:
  - id: show
    command: echo "ref=\${ inputs.ref } by=\${ trigger.type } at=\${ trigger.webhook }"
`;

function sign(body: string, stamp = Math.floor(Date.now() / 1000), secret = SECRET): Record<string, string> {
  const signature = createHmac('sha256', secret).update(`${stamp}.${body}`).digest('hex');
  return { 'content-type': 'application/json', 'x-baton-timestamp': String(stamp), 'x-baton-signature': `sha256=${signature}` };
}

async function post(url: string, body: string, headers: Record<string, string>) {
  return json(await fetch(url, { method: 'POST', headers, body }));
}

/** The run's status view once it has ended. */
async function ended(base: string, runId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 200; i++) {
    const run = (await json(await fetch(`${base}/api/runs/${runId}`))).body;
    if (['succeeded', 'failed', 'cancelled'].includes(run.status as string)) return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`run ${runId} did not end`);
}

/** The runs of `workflow`, once there are at least `count`. */
async function runsOf(base: string, workflow: string, count: number): Promise<Array<{ run_id: string; status: string }>> {
  for (let i = 0; i < 200; i++) {
    const runs = (await json(await fetch(`${base}/api/runs?workflow=${workflow}&limit=100`))).body.runs as Array<{ run_id: string; status: string }>;
    if (runs.length >= count) return runs;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${count} runs of ${workflow}`);
}

async function firings(base: string, query = ''): Promise<Array<Record<string, unknown>>> {
  return (await json(await fetch(`${base}/api/firings${query}`))).body.firings as Array<Record<string, unknown>>;
}

describe('baton serve triggers', () => {
  it('a webhook: a valid signature starts a run with the payload as trigger.payload; forged, stale and replayed deliveries are refused and recorded', async () => {
    const s = await serve(project({ 'deploy.yaml': DEPLOY }));
    const url = `${s.base}/hooks/trigger/deploy`;
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const headers = sign(body);

    const ok = await post(url, body, headers);
    expect(ok.status).toBe(202);
    const run = await ended(s.base, ok.body.run_id as string);
    expect(run).toMatchObject({ status: 'succeeded', result: { said: 'ref=refs/heads/main by=webhook at=/trigger/deploy' } });

    // The same delivery again (a replay within the tolerance): refused, no second run.
    const replay = await post(url, body, headers);
    expect(replay).toMatchObject({ status: 409, body: { error: { code: 'WEBHOOK_REPLAY' } } });
    // Signed with another secret, or a body changed after signing.
    expect(await post(url, body, sign(body, undefined, 'not-the-secret'))).toMatchObject({ status: 401, body: { error: { code: 'WEBHOOK_SIGNATURE' } } });
    expect(await post(url, JSON.stringify({ ref: 'refs/heads/evil' }), headers)).toMatchObject({ status: 401, body: { error: { code: 'WEBHOOK_SIGNATURE' } } });
    expect(await post(url, body, { 'content-type': 'application/json' })).toMatchObject({ status: 401, body: { error: { code: 'WEBHOOK_SIGNATURE', message: expect.stringContaining('not signed') } } });
    // Signed ten minutes ago: outside the default tolerance of five.
    const old = Math.floor(Date.now() / 1000) - 600;
    expect(await post(url, body, sign(body, old))).toMatchObject({ status: 401, body: { error: { code: 'WEBHOOK_STALE' } } });

    // GitHub's form of signature, and its delivery id; the same body again is caught whatever its delivery id.
    const gh = JSON.stringify({ ref: 'refs/heads/release' });
    const ghHeaders = { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'd-1', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(gh).digest('hex')}` };
    const github = await post(url, gh, ghHeaders);
    expect(github.status).toBe(202);
    expect((await post(url, gh, { ...ghHeaders, 'x-github-delivery': 'd-2' })).status).toBe(409);

    // The filter says no: recorded as filtered, answered 200, no run.
    const skip = JSON.stringify({ ref: 'refs/heads/skip' });
    expect(await post(url, skip, sign(skip))).toMatchObject({ status: 200, body: { outcome: 'filtered' } });
    // Not JSON though it says so: refused with why.
    expect(await post(url, '{nope', sign('{nope'))).toMatchObject({ status: 400, body: { error: { code: 'WEBHOOK_PAYLOAD' } } });
    // No trigger at that path.
    expect(await post(`${s.base}/hooks/nothing/here`, body, headers)).toMatchObject({ status: 404, body: { error: { code: 'WEBHOOK_NOT_FOUND' } } });
    // A webhook without secret_env takes unsigned deliveries: this server listens on loopback only.
    expect((await post(`${s.base}/hooks/open`, 'plain text', { 'content-type': 'text/plain' })).status).toBe(202);

    const record = await firings(s.base, '?workflow=deploy');
    // Newest first: every delivery to /trigger/deploy and /open, each with its outcome.
    expect(record.map((f) => f.outcome)).toEqual(['started', 'refused', 'filtered', 'duplicate', 'started', 'refused', 'refused', 'refused', 'refused', 'duplicate', 'started']);
    expect(record.filter((f) => f.outcome === 'refused').map((f) => f.code)).toEqual(['WEBHOOK_PAYLOAD', 'WEBHOOK_STALE', 'WEBHOOK_SIGNATURE', 'WEBHOOK_SIGNATURE', 'WEBHOOK_SIGNATURE']);
    expect(record.find((f) => f.run_id === ok.body.run_id)).toMatchObject({ trigger: 'webhook', source: '/trigger/deploy', outcome: 'started' });
    const refusedOnly = await firings(s.base, '?outcome=refused&limit=2');
    expect(refusedOnly).toHaveLength(2);
    const triggers = (await json(await fetch(`${s.base}/api/triggers`))).body.triggers as Array<Record<string, unknown>>;
    expect(triggers.map((t) => t.url)).toEqual(['/hooks/trigger/deploy', '/hooks/open']);
  });
});
