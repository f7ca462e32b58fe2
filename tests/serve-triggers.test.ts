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

  it('a webhook with an idempotency_key from a header: the delivery sent again (20 times at once) starts no second run', async () => {
    const hook = `name: ship
inputs:
  ref: { type: string, default: none }
trigger:
  type: webhook
  config:
    webhook: /ship
    inputs: { ref: "\${ trigger.payload.ref }" }
    idempotency_key: "\${ trigger.headers['x-request-id'] }"
tasks:
  - id: show
    command: echo "ref=\${ inputs.ref }"
`;
    const s = await serve(project({ 'ship.yaml': hook }));
    const url = `${s.base}/hooks/ship`;
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const send = (id?: string) => post(url, body, { 'content-type': 'application/json', ...(id ? { 'x-request-id': id } : {}) });
    const first = await send('r-1');
    expect(first.status).toBe(202);
    const runId = first.body.run_id as string;
    const again = await send('r-1');
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate', run_id: runId, reason: expect.stringContaining(`idempotency key "r-1" belongs to run ${runId}`) } });
    // Twenty deliveries of another request at once: one run among them.
    const burst = await Promise.all(Array.from({ length: 20 }, () => send('r-2')));
    const started = burst.filter((b) => b.status === 202);
    expect(started).toHaveLength(1);
    expect(burst.filter((b) => b.status === 200 && b.body.outcome === 'duplicate' && b.body.run_id === started[0].body.run_id)).toHaveLength(19);
    // No header: the key comes out empty, and the firing fails with why.
    expect(await send()).toMatchObject({ status: 400, body: { error: { code: 'RUN_IDEMPOTENCY_KEY_EMPTY' } } });
    const runs = await runsOf(s.base, 'ship', 2);
    expect(runs.map((r) => r.run_id).sort()).toEqual([runId, started[0].body.run_id as string].sort());
    await ended(s.base, runId);
    const record = await firings(s.base, '?workflow=ship&limit=100');
    expect(record.filter((f) => f.outcome === 'started')).toHaveLength(2);
    expect(record.filter((f) => f.outcome === 'duplicate')).toHaveLength(20);
    expect(record.filter((f) => f.outcome === 'failed').map((f) => f.code)).toEqual(['RUN_IDEMPOTENCY_KEY_EMPTY']);
  });

  it('an event with a filter, from the API and from `baton emit` in another process; a run of another workflow ending', async () => {
    const dir = project({
      'release.yaml': `name: release
inputs:
  env: { type: string, default: none }
outputs:
  env: "\${ tasks.go.outputs.stdout }"
trigger:
  type: event
  config: { event: release-requested, filter: "trigger.data.env == 'prod' || trigger.data.env == 'qa'", inputs: { env: "\${ trigger.data.env }" } }
tasks:
  - id: go
    command: echo "\${ inputs.env }"
`,
      'build.yaml': 'name: build\ninputs:\n  fail: { type: boolean, default: false }\ntasks:\n  - id: b\n    command: test "${ inputs.fail }" = false\n',
      'after-build.yaml': `name: after-build
outputs:
  saw: "\${ tasks.a.outputs.stdout }"
trigger:
  type: event
  config: { workflow_run: { workflow: build, status: succeeded } }
tasks:
  - id: a
    command: echo "\${ trigger.run.workflow } \${ trigger.run.status }"
`,
    });
    const s = await serve(dir);
    const emit = (data: unknown) => post(`${s.base}/api/events/release-requested`, JSON.stringify({ data }), { 'content-type': 'application/json' });
    expect((await emit({ env: 'prod' })).status).toBe(200);
    expect((await emit({ env: 'dev' })).status).toBe(200);
    // From another process sharing the store: the server reads the store's record of events.
    const cli = baton(['emit', 'release-requested', '--data', '{"env":"qa"}'], { cwd: dir });
    expect(cli.stderr).toContain('recorded for the event triggers');
    const runs = await runsOf(s.base, 'release', 2);
    const envs = await Promise.all(runs.map(async (r) => (await ended(s.base, r.run_id)).result));
    expect(envs.map((r) => (r as { env: string }).env).sort()).toEqual(['prod', 'qa']);
    const record = await firings(s.base, '?workflow=release');
    expect(record.map((f) => f.outcome).sort()).toEqual(['filtered', 'started', 'started']);
    expect(record.find((f) => f.outcome === 'filtered')?.reason).toContain("trigger.data.env == 'prod'");

    // build succeeding fires after-build; build failing does not.
    const start = await post(`${s.base}/api/workflows/build/runs`, JSON.stringify({ inputs: { fail: true } }), { 'content-type': 'application/json' });
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    const failed = start.body.run_id as string;
    expect((await ended(s.base, failed)).status).toBe('failed');
    const good = (await post(`${s.base}/api/workflows/build/runs`, '{}', { 'content-type': 'application/json' })).body.run_id as string;
    expect((await ended(s.base, good)).status).toBe('succeeded');
    const [after] = await runsOf(s.base, 'after-build', 1);
    expect(await ended(s.base, after.run_id)).toMatchObject({ status: 'succeeded', result: { saw: 'build succeeded' } });
    await new Promise((r) => setTimeout(r, 700));
    expect(await runsOf(s.base, 'after-build', 1)).toHaveLength(1);
    expect((await firings(s.base, '?workflow=after-build'))[0]).toMatchObject({ trigger: 'event', outcome: 'started', source: `build run ${good} succeeded` });
  });

  it('a file change: changes within the debounce fire one run with the changed paths; the store and other files do not fire', async () => {
    const dir = project({
      'docs.yaml': `name: docs
outputs:
  files: "\${ tasks.list.outputs.stdout }"
trigger:
  type: file_change
  config: { files: ["content/**/*.md"], debounce: 300ms }
tasks:
  - id: list
    command: echo "\${ join(trigger.files, ',') }"
`,
    });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(dir, 'content', 'guide'), { recursive: true });
    const s = await serve(dir);
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(path.join(dir, 'content', 'a.md'), '# a\n');
    writeFileSync(path.join(dir, 'content', 'guide', 'b.md'), '# b\n');
    writeFileSync(path.join(dir, 'content', 'ignored.txt'), 'no\n');
    const [run] = await runsOf(s.base, 'docs', 1);
    expect(await ended(s.base, run.run_id)).toMatchObject({ status: 'succeeded', result: { files: 'content/a.md,content/guide/b.md' } });
    // The runs wrote to the store (.baton) all along: nothing else fired.
    await new Promise((r) => setTimeout(r, 800));
    expect(await runsOf(s.base, 'docs', 1)).toHaveLength(1);
  });

  it('baton schedule add, list, pause, resume and rm, seen by a running server', async () => {
    const dir = project({ 'tick.yaml': 'name: tick\ntasks:\n  - id: a\n    type: noop\n', 'nightly.yaml': "name: nightly\ntrigger:\n  type: schedule\n  config: { schedule: '0 2 * * *' }\ntasks:\n  - id: a\n    type: noop\n" });
    const s = await serve(dir);
    const added = baton(['schedule', 'add', 'tick.yaml', '--cron', '* * * * * *', '--json'], { cwd: dir });
    expect(added.status).toBe(0);
    const id = (JSON.parse(added.stdout) as { id: string }).id;
    expect(id).toBe('added:1');
    const listed = JSON.parse(baton(['schedule', 'list', '--json'], { cwd: dir }).stdout) as { schedules: Array<Record<string, unknown>> };
    expect(listed.schedules.map((v) => [v.id, v.workflow, v.origin, v.paused])).toEqual([
      ['file:nightly:0', 'nightly', 'file', false],
      ['added:1', 'tick', 'added', false],
    ]);
    // The server picks the new schedule up within seconds, and fires it every second.
    await runsOf(s.base, 'tick', 2);
    expect(baton(['schedule', 'pause', id], { cwd: dir }).status).toBe(0);
    await new Promise((r) => setTimeout(r, 2500));
    const paused = (await runsOf(s.base, 'tick', 1)).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await runsOf(s.base, 'tick', 1)).length).toBe(paused);
    // A file's schedule cannot be removed, only paused; an unknown id says what there is.
    expect(baton(['schedule', 'rm', 'file:nightly:0'], { cwd: dir })).toMatchObject({ status: 2, stderr: expect.stringContaining('SCHEDULE_IN_FILE') });
    expect(baton(['schedule', 'rm', 'added:9'], { cwd: dir })).toMatchObject({ status: 2, stderr: expect.stringContaining('SCHEDULE_NOT_FOUND') });
    expect(baton(['schedule', 'rm', id], { cwd: dir }).status).toBe(0);
    const api = (await json(await fetch(`${s.base}/api/schedules`))).body.schedules as Array<{ id: string; next?: string }>;
    expect(api.map((v) => v.id)).toEqual(['file:nightly:0']);
    expect(api[0].next).toMatch(/T02:00:00\.000Z$/);
    // The same over the API.
    const viaApi = await post(`${s.base}/api/schedules`, JSON.stringify({ workflow: 'tick', cron: '0 * * * *', timezone: 'Europe/Berlin' }), { 'content-type': 'application/json' });
    expect(viaApi).toMatchObject({ status: 201, body: { workflow: 'tick', origin: 'added', paused: false } });
    expect((await post(`${s.base}/api/schedules/file:nightly:0/pause`, '', {})).body).toMatchObject({ paused: true });
    expect((await json(await fetch(`${s.base}/api/schedules/${viaApi.body.id as string}`, { method: 'DELETE' }))).status).toBe(200);
    expect((await post(`${s.base}/api/schedules`, JSON.stringify({ workflow: 'tick', cron: '61 * * * *' }), { 'content-type': 'application/json' })).body).toMatchObject({ error: { code: 'TRIGGER_CRON' } });
  });

  it('a TypeScript workflow declares triggers in workflow() and reads what fired it as ctx.trigger', async () => {
    const dir = project({
      'greet.ts': `import { workflow } from 'baton';
export default workflow({ name: 'greet', triggers: [{ type: 'event', config: { event: 'hello', filter: "trigger.data.who != 'nobody'" } }] }, async (ctx) => {
  return ctx.step('say', () => \`hello \${(ctx.trigger as { data: { who: string } }).data.who} (\${ctx.trigger.type})\`);
});
`,
      'bad.ts': `import { workflow } from 'baton';
export default workflow({ name: 'bad', triggers: [{ type: 'webhook', config: {} }] }, async () => 1);
`,
    });
    const s = await serve(dir);
    const problems = (await json(await fetch(`${s.base}/api/workflows`))).body.problems as Array<{ message: string }>;
    expect(problems.map((p) => p.message).join('\n')).toMatch(/workflow bad: triggers: a webhook trigger needs `config.webhook`/);
    await post(`${s.base}/api/events/hello`, JSON.stringify({ data: { who: 'nobody' } }), { 'content-type': 'application/json' });
    await post(`${s.base}/api/events/hello`, JSON.stringify({ data: { who: 'ada' } }), { 'content-type': 'application/json' });
    const [run] = await runsOf(s.base, 'greet', 1);
    expect(await ended(s.base, run.run_id)).toMatchObject({ status: 'succeeded', result: 'hello ada (event)' });
    expect((await firings(s.base, '?workflow=greet')).map((f) => f.outcome)).toEqual(['started', 'filtered']);
  });
});
