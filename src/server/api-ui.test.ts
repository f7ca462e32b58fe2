/**
 * What the web UI's Workflows, Schedules and Metrics views read beyond the older routes, on
 * a real app and daemon over a memory store (no tokens: a loopback server): GET
 * /api/workflows?history= (trigger types, next firing, last runs, problems at line:col),
 * a workflow's `source`, and GET /api/metrics/series against GET /api/metrics.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApi } from './api.js';
import { Daemon } from './daemon.js';
import { createMemoryStore } from '../store/memory/memory-store.js';

const FILES: Record<string, string> = {
  'ok.yaml': 'name: ok\ntriggers:\n  - type: schedule\n    config: { schedule: "0 3 * * *" }\n  - type: schedule\n    config: { schedule: "30 1 * * *" }\n  - type: event\n    config: { event: go }\ntasks:\n  - id: one\n    command: "true"\n',
  'bad.yaml': 'name: bad\ntasks:\n  - id: two\n    command: "false"\n',
  'broken.yaml': 'name: broken\ntasks:\n  - id: x\n    comand: echo\n',
};

let daemon: Daemon | undefined;
afterEach(async () => {
  await daemon?.stop(1000);
  daemon = undefined;
});

async function setUp() {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-api-ui-'));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(path.join(dir, name), text);
  const store = createMemoryStore();
  daemon = new Daemon({ store, workflowsDir: dir, owner: { host: 'test', pid: process.pid, started_at: 1 }, log: () => {} });
  await daemon.loadWorkflows();
  const app = createApi(daemon);
  const get = async <T,>(url: string) => {
    const res = await app.request(url);
    return { status: res.status, body: (await res.json()) as T };
  };
  const run = async (name: string) => {
    const res = await app.request(`/api/workflows/${name}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const id = ((await res.json()) as { run_id: string }).run_id;
    for (let i = 0; i < 200; i++) {
      const { body } = await get<{ status: string }>(`/api/runs/${id}`);
      if (body.status === 'succeeded' || body.status === 'failed') return id;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`run ${id} of ${name} did not end`);
  };
  return { dir, get, run };
}

describe('the API the web UI reads', () => {
  it('lists workflows with trigger types, the next firing, last runs newest first, and problems at line:col', async () => {
    const { get, run } = await setUp();
    const first = await run('ok');
    const second = await run('ok');
    const failed = await run('bad');
    type List = { workflows: Array<{ name: string; trigger_types: string[]; next_run_at?: string; last_runs?: Array<{ run_id: string; status: string; duration_ms?: number }> }>; problems: Array<{ file: string; diagnostics?: Array<{ code: string; line: number; col: number }> }> };
    const { status, body } = await get<List>('/api/workflows?history=20');
    expect(status).toBe(200);
    expect(body.workflows.map((w) => w.name)).toEqual(['bad', 'ok']);
    const ok = body.workflows[1]!;
    expect(ok.trigger_types).toEqual(['schedule', 'event']);
    // The soonest of its two schedules: 01:30 UTC comes before 03:00 on any day but between them.
    const next = Date.parse(ok.next_run_at!);
    expect(next).toBeGreaterThan(Date.now());
    expect([1, 3]).toContain(new Date(next).getUTCHours());
    expect(ok.last_runs!.map((r) => [r.run_id, r.status])).toEqual([
      [second, 'succeeded'],
      [first, 'succeeded'],
    ]);
    expect(ok.last_runs![0]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(body.workflows[0]!.last_runs).toEqual([expect.objectContaining({ run_id: failed, status: 'failed' })]);
    expect(body.workflows[0]!.next_run_at).toBeUndefined();
    expect(body.problems).toHaveLength(1);
    expect(body.problems[0]!.file).toMatch(/broken\.yaml$/);
    expect(body.problems[0]!.diagnostics).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'SPEC_UNKNOWN_FIELD', line: 4, col: 5 })]));
    // Without ?history= no runs are read; a history past 50 is refused.
    expect((await get<List>('/api/workflows')).body.workflows[1]!.last_runs).toBeUndefined();
    expect((await get('/api/workflows?history=51')).status).toBe(400);
  });

  it("gives a workflow's file as its source", async () => {
    const { get } = await setUp();
    const { body } = await get<{ source: string }>('/api/workflows/ok');
    expect(body.source).toBe(FILES['ok.yaml']);
  });

  it('folds the metrics window into buckets that add up to GET /api/metrics, and refuses bad buckets', async () => {
    const { get, run } = await setUp();
    await run('ok');
    await run('bad');
    await run('bad');
    type Series = { bucket_ms: number; buckets: Array<{ start: string; runs: number; succeeded: number; failed: number; success_rate?: number }>; tasks: Array<{ workflow: string; task: string; runs: number; failed: number }>; failures_by_task: unknown[] };
    const { status, body } = await get<Series>('/api/metrics/series?since=24h');
    expect(status).toBe(200);
    expect(body.bucket_ms).toBe(3_600_000);
    expect(body.buckets.length).toBeGreaterThanOrEqual(24);
    const window = (await get<{ totals: { runs: number; succeeded: number; failed: number } }>('/api/metrics?since=24h')).body;
    const sum = (key: 'runs' | 'succeeded' | 'failed') => body.buckets.reduce((n, b) => n + b[key], 0);
    expect({ runs: sum('runs'), succeeded: sum('succeeded'), failed: sum('failed') }).toEqual({ runs: window.totals.runs, succeeded: window.totals.succeeded, failed: window.totals.failed });
    expect(body.buckets.at(-1)).toMatchObject({ runs: 3, succeeded: 1, failed: 2, success_rate: 33.33 });
    expect(body.failures_by_task).toEqual([{ workflow: 'bad', task: 'two', failed: 2 }]);
    const only = (await get<Series>('/api/metrics/series?since=24h&workflow=ok&bucket=6h')).body;
    expect(only.bucket_ms).toBe(6 * 3_600_000);
    expect(only.tasks.map((t) => `${t.workflow}/${t.task}`)).toEqual(['ok/one']);
    for (const bad of ['bucket=10s', 'bucket=often', 'since=30d&bucket=5m']) {
      const res = await get<{ error: { code: string } }>(`/api/metrics/series?${bad}`);
      expect([bad, res.status, res.body.error.code]).toEqual([bad, 400, 'METRICS_BAD_BUCKET']);
    }
    expect((await get<{ error: { code: string } }>('/api/metrics/series?since=yesterday')).body.error.code).toBe('METRICS_BAD_SINCE');
  });

  it("gives the skills' inputs when asked: a workflow entry's declared ones, a script's note", async () => {
    const { get } = await setUp();
    type Skills = { skills: Array<{ name: string; interface?: { kind: string; inputs?: Record<string, { type: string }>; note?: string } }> };
    const { body } = await get<Skills>('/api/skills?q=http%20health%20check&inputs=true');
    const health = body.skills.find((s) => s.name === 'http-health-check')!;
    expect(health.interface).toBeDefined();
    expect(Object.keys(health.interface!.inputs!)).toContain('url');
    expect((await get<Skills>('/api/skills')).body.skills.every((s) => s.interface === undefined)).toBe(true);
  });
});
