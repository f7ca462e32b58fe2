/**
 * `baton serve`'s API for workflows and skills: one workflow in detail, a workflow's text
 * checked without saving it, the skills catalog listed and searched. Real daemon, real HTTP.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HELLO, json, killServers, project, serve } from './serve-helpers.js';

afterEach(killServers);

describe('baton serve: workflows and skills', () => {
  it('shows a workflow with its triggers, next schedule and last runs', async () => {
    const dir = project({ 'hello.yaml': HELLO, 'nightly.yaml': "name: nightly\ntrigger:\n  type: schedule\n  config: { schedule: '0 2 * * *' }\ntasks:\n  - id: a\n    type: noop\n" });
    const s = await serve(dir);
    const started = await json(await fetch(`${s.base}/api/workflows/hello/runs`, { method: 'POST' }));
    const hello = await json(await fetch(`${s.base}/api/workflows/hello`));
    expect(hello.body).toMatchObject({ name: 'hello', kind: 'file', inputs: { who: { type: 'string', default: 'world' } }, triggers: [], schedules: [] });
    expect((hello.body.last_runs as Array<{ run_id: string }>).map((r) => r.run_id)).toEqual([started.body.run_id]);
    const tasks = await json(await fetch(`${s.base}/api/runs/${started.body.run_id as string}/tasks`));
    expect(tasks.body).toMatchObject({ run_id: started.body.run_id, tasks: [{ id: 'say' }] });
    const nightly = await json(await fetch(`${s.base}/api/workflows/nightly`));
    expect(nightly.body).toMatchObject({ triggers: [{ type: 'schedule', fires_on: "schedule '0 2 * * *' in UTC" }], schedules: [{ id: 'file:nightly:0', next: expect.stringMatching(/T02:00:00\.000Z$/) }] });
    expect(await json(await fetch(`${s.base}/api/workflows/helo`))).toMatchObject({ status: 404, body: { error: { code: 'WORKFLOW_NOT_FOUND', message: expect.stringContaining("did you mean 'hello'") } } });
  });

  it('checks a workflow text: every problem with line:col, or valid with its name and inputs', async () => {
    const s = await serve(project({ 'hello.yaml': HELLO }));
    const check = (text: string, format?: string) => fetch(`${s.base}/api/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, ...(format ? { format } : {}) }) }).then(json);
    const bad = await check('name: x\ntasks:\n  - id: a\n    comand: echo\n');
    expect(bad.status).toBe(200);
    expect(bad.body.valid).toBe(false);
    expect(bad.body.diagnostics).toContainEqual(expect.objectContaining({ severity: 'error', code: 'SPEC_UNKNOWN_FIELD', line: 4, col: 5 }));
    const good = await check('{"name": "y", "inputs": {"n": 3}, "tasks": [{"id": "a", "command": "echo ${ inputs.n }"}]}', 'json');
    expect(good.body).toMatchObject({ valid: true, diagnostics: [], workflow: { name: 'y', inputs: { n: { type: 'number', default: 3 } } } });
    expect((await check('', 'toml')).status).toBe(400);
  });

  it("lists and searches the project's skills", async () => {
    const dir = project({ 'hello.yaml': HELLO });
    const skill = path.join(dir, 'skills', 'disk-cleanup');
    mkdirSync(skill, { recursive: true });
    writeFileSync(path.join(skill, 'SKILL.md'), '---\nname: disk-cleanup\ndescription: Free disk space on a host by removing old logs and caches.\n---\n\nFind the biggest folders, then remove what is safe.\n');
    const s = await serve(dir);
    const all = (await json(await fetch(`${s.base}/api/skills`))).body.skills as Array<{ name: string; runnable: boolean }>;
    expect(all.map((k) => k.name)).toContain('disk-cleanup');
    const found = (await json(await fetch(`${s.base}/api/skills?q=${encodeURIComponent('free up disk space')}&limit=3`))).body.skills as Array<{ name: string; score: number }>;
    expect(found[0]).toMatchObject({ name: 'disk-cleanup', score: expect.any(Number) });
  });

  it('an idempotency key: the first request starts the run, the next ones get it back; the key with other inputs is a conflict', async () => {
    const s = await serve(project({ 'hello.yaml': HELLO }));
    const start = (body: Record<string, unknown>) =>
      fetch(`${s.base}/api/workflows/hello/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (res) => ({
        ...(await json(res)),
        replayed: res.headers.get('idempotent-replayed'),
      }));
    const first = await start({ inputs: { who: 'a' }, idempotency_key: 'deploy-42' });
    expect(first).toMatchObject({ status: 201, replayed: null });
    expect(first.body.existing).toBeUndefined();
    const answers = await Promise.all([1, 2, 3].map(() => start({ inputs: { who: 'a' }, idempotency_key: 'deploy-42' })));
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, replayed: 'true', body: { run_id: first.body.run_id, existing: true } });
    const other = await start({ idempotency_key: 'deploy-43' });
    expect(other.status).toBe(201);
    expect(other.body.run_id).not.toBe(first.body.run_id);
    const runs = (await json(await fetch(`${s.base}/api/runs?workflow=hello`))).body.runs as unknown[];
    expect(runs).toHaveLength(2);
    // The key again with other inputs: refused, naming the run it belongs to.
    const reused = await start({ inputs: { who: 'b' }, idempotency_key: 'deploy-42' });
    expect(reused).toMatchObject({ status: 409, body: { error: { code: 'RUN_IDEMPOTENCY_CONFLICT', message: expect.stringContaining(`run ${first.body.run_id as string} of hello with other inputs`) } } });
    // A start refused before anything was recorded leaves the key free.
    expect((await start({ inputs: { nope: 1 }, idempotency_key: 'bad' })).status).toBe(400);
    expect((await start({ idempotency_key: 'bad' })).status).toBe(201);
    // Keys that cannot be one: their own codes.
    expect(await start({ idempotency_key: '' })).toMatchObject({ status: 400, body: { error: { code: 'RUN_IDEMPOTENCY_KEY_EMPTY' } } });
    expect(await start({ idempotency_key: 'k'.repeat(256) })).toMatchObject({ status: 400, body: { error: { code: 'RUN_IDEMPOTENCY_KEY_TOO_LONG' } } });
  });

  it('20 requests at once with one idempotency key start one run, and all get it', async () => {
    const s = await serve(project({ 'hello.yaml': HELLO }));
    const start = () =>
      fetch(`${s.base}/api/workflows/hello/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: { who: 'all' }, idempotency_key: 'burst-1' }) }).then(json);
    const answers = await Promise.all(Array.from({ length: 20 }, start));
    const ids = new Set(answers.map((a) => a.body.run_id));
    expect(ids.size).toBe(1);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.existing === true)).toHaveLength(19);
    const runs = (await json(await fetch(`${s.base}/api/runs?workflow=hello`))).body.runs as Array<{ run_id: string }>;
    expect(runs.map((r) => r.run_id)).toEqual([...ids]);
  });
});
