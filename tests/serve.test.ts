/**
 * `baton serve` end to end: a real daemon process on an ephemeral loopback port, real HTTP.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, BATON, ROOT } from './helpers.js';

import { batonSync, HELLO, json, killServers, project, serve, SLOW, sse, tooLarge, until } from './serve-helpers.js';

afterEach(killServers);


describe('baton serve', () => {
  it('starts a run over HTTP (201 with its id at once), drives it, and streams its events, resumable with Last-Event-ID', async () => {
    const dir = project({ 'hello.yaml': HELLO, 'broken.yaml': 'name: broken\ntasks:\n  - id: a\n    comand: x\n' });
    const s = await serve(dir);
    expect(await json(await fetch(`${s.base}/healthz`))).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await fetch(`${s.base}/readyz`)).status).toBe(200);
    const workflows = await json(await fetch(`${s.base}/api/workflows`));
    expect((workflows.body.workflows as Array<{ name: string }>).map((w) => w.name)).toEqual(['hello']);
    expect(workflows.body.problems).toEqual([{ file: path.join(dir, 'broken.yaml'), message: expect.stringMatching(/^2 problems, first at line 3:5: .*\[SPEC_MISSING_FIELD\]$/), diagnostics: expect.arrayContaining([expect.objectContaining({ severity: 'error', code: 'SPEC_MISSING_FIELD', line: 3, col: 5 })]) }]);

    const started = await fetch(`${s.base}/api/workflows/hello/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { who: 'api' } }) });
    const { status, body } = await json(started);
    expect(status).toBe(201);
    const runId = body.run_id as string;
    expect(started.headers.get('location')).toBe(`/api/runs/${runId}`);

    // Events only (?logs=false; log lines and their positions: serve-sse.test.ts).
    const events = await sse(`${s.base}/api/runs/${runId}/events?logs=false`);
    expect(events.map((e) => e.event)).toEqual(['RunCreated', 'RunStarted', 'TaskReady', 'TaskStarted', 'TaskSucceeded', 'RunSucceeded']);
    expect(events.map((e) => Number(e.id))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events[0].data).toMatchObject({ origin: 'api', inputs: { who: 'api' } });
    // Resumed after the 4th: only what came after it.
    expect((await sse(`${s.base}/api/runs/${runId}/events?logs=false`, { 'Last-Event-ID': '4' })).map((e) => e.id)).toEqual(['5', '6']);

    const run = await json(await fetch(`${s.base}/api/runs/${runId.slice(0, 12)}`));
    expect(run.body).toMatchObject({ run_id: runId, status: 'succeeded', result: { said: 'hello api' } });
    // Its output, a page at a time.
    const logs = await json(await fetch(`${s.base}/api/runs/${runId}/logs`));
    expect(logs.body).toMatchObject({ text: 'say | hello api\n', truncated: false });
    const first = await json(await fetch(`${s.base}/api/runs/${runId}/logs?offset=0&limit_bytes=6`));
    expect(first.body).toMatchObject({ text: 'say | ', truncated: true });
    const rest = await json(await fetch(`${s.base}/api/runs/${runId}/logs?offset=${encodeURIComponent(first.body.next as string)}`));
    expect(rest.body.text).toBe('hello api\n');
    expect((await json(await fetch(`${s.base}/api/runs/${runId}/logs?offset=garbage`))).status).toBe(400);
    const list = await json(await fetch(`${s.base}/api/runs?workflow=hello`));
    expect((list.body.runs as Array<{ run_id: string }>).map((r) => r.run_id)).toEqual([runId]);

    // Paging: every run once, newest first, page after page.
    for (let i = 0; i < 4; i++) await fetch(`${s.base}/api/workflows/hello/runs`, { method: 'POST' });
    const everyRun = ((await json(await fetch(`${s.base}/api/runs?limit=100`))).body.runs as Array<{ run_id: string }>).map((r) => r.run_id);
    expect(everyRun).toHaveLength(5);
    const paged: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 10; pages++) {
      const page = await json(await fetch(`${s.base}/api/runs?limit=2${cursor}`));
      paged.push(...(page.body.runs as Array<{ run_id: string }>).map((r) => r.run_id));
      if (page.body.next_cursor === undefined) break;
      cursor = `&cursor=${page.body.next_cursor as string}`;
    }
    expect(paged).toEqual(everyRun);
    expect((await json(await fetch(`${s.base}/api/runs?cursor=bad`))).body).toMatchObject({ error: { code: 'API_BAD_REQUEST', details: { field: 'cursor' } } });
  });

  it('answers bad requests with one error shape and the status of its category', async () => {
    const s = await serve(project({ 'hello.yaml': HELLO }));
    const post = (name: string, body: string) => fetch(`${s.base}/api/workflows/${name}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await json(await post('hello', '{"inputs":"x"}'))).toMatchObject({ status: 400, body: { error: { code: 'API_BAD_REQUEST', category: 'usage', details: { field: 'inputs' } } } });
    expect(await json(await post('hello', '{"inputs":{},"extra":1}'))).toMatchObject({ status: 400, body: { error: { code: 'API_BAD_REQUEST' } } });
    expect(await json(await post('hello', '{"inputs":{"whom":"x"}}'))).toMatchObject({ status: 400, body: { error: { code: 'INPUT_UNKNOWN', message: 'unknown input "whom": it accepts: who' } } });
    expect(await json(await post('helo', '{}'))).toMatchObject({ status: 404, body: { error: { code: 'WORKFLOW_NOT_FOUND', message: expect.stringContaining("did you mean 'hello'?") } } });
    expect(await tooLarge(`${s.base}/api/workflows/hello/runs`, 2 * 1024 * 1024)).toMatchObject({ status: 413, body: { error: { code: 'API_BODY_TOO_LARGE' } } });
    expect(await json(await fetch(`${s.base}/api/runs/NOPE`))).toMatchObject({ status: 404, body: { error: { code: 'STORE_RUN_NOT_FOUND' } } });
    expect(await json(await fetch(`${s.base}/api/runs/..%2F..%2Fetc`))).toMatchObject({ status: 400, body: { error: { code: 'API_BAD_REQUEST' } } });
    expect(await json(await fetch(`${s.base}/api/nothing`))).toMatchObject({ status: 404, body: { error: { code: 'API_NOT_FOUND' } } });
    const wrong = await fetch(`${s.base}/api/runs`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    // No run was recorded by any of them.
    expect((await json(await fetch(`${s.base}/api/runs`))).body.runs).toEqual([]);
  });

  it('SIGTERM leaves a running run interrupted; the next start takes it over and finishes it', async () => {
    const dir = project({ 'slow.yaml': SLOW });
    const first = await serve(dir, '--grace', '0');
    const { body } = await json(await fetch(`${first.base}/api/workflows/slow/runs`, { method: 'POST' }));
    const runId = body.run_id as string;
    // Its first task is running: stop the server.
    await until(`${first.base}/api/runs/${runId}/events`, 'TaskStarted');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.log()).toContain('SIGTERM: taking no more requests');
    const second = await serve(dir);
    expect(second.log()).toContain('took over 1 interrupted run');
    const events = await sse(`${second.base}/api/runs/${runId}/events`);
    expect(events.at(-1)?.event).toBe('RunSucceeded');
    expect(events.map((e) => e.event)).toContain('RunResumed');
  });

  it('a second SIGTERM forces: the server exits at once and no task process outlives it', async () => {
    const dir = project({ 'long.yaml': 'name: long\ntasks:\n  - id: nap\n    command: echo $$ > nap.pid && exec sleep 60\n' });
    const s = await serve(dir, '--grace', '60');
    const { body } = await json(await fetch(`${s.base}/api/workflows/long/runs`, { method: 'POST' }));
    await until(`${s.base}/api/runs/${body.run_id as string}/events`, 'TaskStarted');
    const pidFile = path.join(dir, 'nap.pid');
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(alive(pid)).toBe(true);
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(3);
    expect(s.log()).toContain('SIGTERM again: forced stop');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid)).toBe(false);
  });

  it('cancels, retries, answers approvals and delivers events over the API; runs nobody drives go on in the server', async () => {
    const dir = project({
      'slow.yaml': SLOW,
      'flaky.yaml': 'name: flaky\ntasks:\n  - id: check\n    command: test -f marker\n',
      'gate.ts': "import { workflow } from 'baton';\nexport default workflow({ name: 'gate' }, async (ctx) => {\n  await ctx.approval('go-live', { prompt: 'Ship it?' });\n  const dns = await ctx.waitForEvent<{ ok: boolean }>('dns', { event: 'dns.propagated' });\n  return ctx.summary(`shipped, dns ${dns.ok}`);\n});\n",
    });
    const s = await serve(dir);
    const post = async (url: string, body?: unknown) =>
      json(await fetch(`${s.base}${url}`, { method: 'POST', ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) }));
    const status = async (id: string) => (await json(await fetch(`${s.base}/api/runs/${id}`))).body.status as string;
    const settle = async (id: string, want: string) => {
      for (let i = 0; i < 200 && (await status(id)) !== want; i++) await new Promise((r) => setTimeout(r, 50));
      return status(id);
    };

    // Cancel a running run: its driver, this server, carries it out.
    const slow = (await post('/api/workflows/slow/runs')).body.run_id as string;
    await until(`${s.base}/api/runs/${slow}/events`, 'TaskStarted');
    expect(await post(`/api/runs/${slow}/cancel`, { reason: 'not now' })).toMatchObject({ status: 202, body: { status: 'cancel_requested' } });
    expect(await settle(slow, 'cancelled')).toBe('cancelled');
    // Retry it, and a failed one once its cause is fixed; refused while it runs.
    const flaky = (await post('/api/workflows/flaky/runs')).body.run_id as string;
    expect(await settle(flaky, 'failed')).toBe('failed');
    writeFileSync(path.join(dir, 'marker'), '');
    expect(await post(`/api/runs/${flaky}/retry`)).toMatchObject({ status: 202 });
    expect(await settle(flaky, 'succeeded')).toBe('succeeded');
    expect(await post(`/api/runs/${flaky}/resume`)).toMatchObject({ status: 409, body: { error: { code: 'RUN_FINISHED' } } });

    // An approval, then an event.
    const gate = (await post('/api/workflows/gate/runs')).body.run_id as string;
    expect(await settle(gate, 'waiting')).toBe('waiting');
    const approvals = (await json(await fetch(`${s.base}/api/approvals`))).body.approvals;
    expect(approvals).toEqual([{ run_id: gate, workflow: 'gate', task: 'go-live', prompt: 'Ship it?' }]);
    expect(await post(`/api/runs/${gate}/approvals/go-live`, { approved: 'yes' })).toMatchObject({ status: 400, body: { error: { details: { field: 'approved' } } } });
    expect(await post(`/api/runs/${gate}/approvals/go-live`, { approved: true, comment: 'ok' })).toMatchObject({ status: 200, body: { approved: true } });
    for (let i = 0; i < 200; i++) {
      const reached = await post('/api/events/dns.propagated', { data: { ok: true } });
      if ((reached.body.delivered as unknown[]).length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await settle(gate, 'succeeded')).toBe('succeeded');
    expect((await json(await fetch(`${s.base}/api/runs/${gate}`))).body.summary).toBe('shipped, dns true');
  });

  it('reloads a changed workflow file; one that stops loading keeps its last good version, and says so', async () => {
    const dir = project({ 'hello.yaml': HELLO });
    const s = await serve(dir);
    const workflows = async () => (await json(await fetch(`${s.base}/api/workflows`))).body as { workflows: Array<{ name: string; inputs: Record<string, unknown> }>; problems: Array<{ message: string }> };
    const until = async (check: (w: Awaited<ReturnType<typeof workflows>>) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const now = await workflows();
        if (check(now)) return now;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`not reloaded: ${JSON.stringify(await workflows())}`);
    };
    writeFileSync(path.join(dir, 'hello.yaml'), HELLO.replace('who: {type: string, default: world}', 'who: {type: string, default: world}\n  times: {type: number, default: 1}'));
    const changed = await until((w) => 'times' in (w.workflows[0]?.inputs ?? {}));
    expect(changed.problems).toEqual([]);
    writeFileSync(path.join(dir, 'hello.yaml'), 'name: hello\ntasks: [\n');
    const broken = await until((w) => w.problems.length > 0);
    expect(broken.workflows.map((w) => w.name)).toEqual(['hello']);
    expect(broken.problems[0].message).toMatch(/\(its last good version is still served\)$/);
    // Runs still start, with the last good version.
    expect((await fetch(`${s.base}/api/workflows/hello/runs`, { method: 'POST' })).status).toBe(201);
  });

  it('fires a per-second schedule on time and once per firing; a schedule missed while down runs once at start (missed: run-once)', async () => {
    const dir = project({
      'tick.yaml': "name: tick\ntrigger:\n  type: schedule\n  config: { schedule: '* * * * * *' }\ntasks:\n  - id: a\n    type: noop\n",
      'daily.yaml': "name: daily\ntrigger:\n  type: schedule\n  config: { schedule: '0 3 * * *', timezone: Europe/Berlin, missed: run-once }\ntasks:\n  - id: a\n    type: noop\n",
      'broken-cron.yaml': "name: broken-cron\ntrigger:\n  type: schedule\n  config: { schedule: '61 * * * *' }\ntasks:\n  - id: a\n    type: noop\n",
    });
    const s = await serve(dir);
    const runsOf = async (name: string, base = s.base) => (await json(await fetch(`${base}/api/runs?workflow=${name}&limit=1000`))).body.runs as Array<{ run_id: string; created_at: string }>;
    // daily's last 03:00 passed with no server: one run at start, and only one.
    expect(s.log()).toMatch(/schedule file:daily:0 of daily last fired at .* while no server ran \(missed: run-once\): one run now/);
    expect(await runsOf('daily')).toHaveLength(1);
    // tick fires every second: a few seconds give as many runs, each in its own second.
    await new Promise((r) => setTimeout(r, 3500));
    const ticks = await runsOf('tick');
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(ticks.length).toBeLessThanOrEqual(5);
    const seconds = ticks.map((t) => Math.floor(Date.parse(t.created_at) / 1000));
    expect(new Set(seconds).size).toBe(seconds.length);
    const first = (await json(await fetch(`${s.base}/api/runs/${ticks[0].run_id}`))).body;
    expect(first.status).toBe('succeeded');
    // A cron croner cannot run is a problem of its file, not served.
    const workflows = (await json(await fetch(`${s.base}/api/workflows`))).body as { workflows: Array<{ name: string }>; problems: Array<{ message: string }> };
    expect(workflows.workflows.map((w) => w.name).sort()).toEqual(['daily', 'tick']);
    expect(workflows.problems[0].message).toContain('Invalid value for minute: 61');
    // Started again: daily's firing has its run, so nothing more.
    s.child.kill('SIGTERM');
    await s.exited;
    const again = await serve(dir);
    expect(again.log()).not.toContain('one run now');
    expect(await runsOf('daily', again.base)).toHaveLength(1);
  });

  it('baton triggers test: the next firings of a schedule in its time zone, across a daylight-saving change', () => {
    const dir = project({ 'nightly.yaml': "name: nightly\ntrigger:\n  type: schedule\n  config: { schedule: '30 2 * * *', timezone: Europe/Berlin }\ntasks:\n  - id: a\n    type: noop\n" });
    const r = spawnSync(process.execPath, [BATON, 'triggers', 'test', 'nightly.yaml', '--from', '2026-03-27T00:00:00Z', '-n', '4'], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toBe(
      "nightly: schedule '30 2 * * *' in Europe/Berlin; missed firings: skip\n" +
        '  Fri 2026-03-27 02:30:00  (2026-03-27T01:30:00.000Z)\n' +
        '  Sat 2026-03-28 02:30:00  (2026-03-28T01:30:00.000Z)\n' +
        // 02:30 does not happen that night (02:00 becomes 03:00): it fires as the clock passes it.
        '  Sun 2026-03-29 03:00:00  (2026-03-29T01:00:00.000Z)\n' +
        '  Mon 2026-03-30 02:30:00  (2026-03-30T00:30:00.000Z)\n',
    );
  });

  it('listens on loopback only until baton has access control', () => {
    const r = batonSync(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('SERVER_NOT_LOOPBACK');
  });

  it('serves the OpenAPI 3.1 document its handlers validate with, as committed in schema/openapi.json', async () => {
    const s = await serve(project({}));
    const doc = (await (await fetch(`${s.base}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/workflows/{name}/runs', '/api/runs/{id}/events']));
    const committed = readFileSync(path.join(ROOT, 'schema', 'openapi.json'), 'utf8');
    expect(JSON.stringify(doc, null, 2) + '\n', 'schema/openapi.json is out of date: run `npm run schema`').toBe(committed);
  });
});
