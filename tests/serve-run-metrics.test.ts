/**
 * GET /api/metrics on a real `baton serve` (docs/server.md#metrics): the document `baton
 * metrics --json` prints, of the caller's namespace only, for a viewer; `baton metrics
 * --server` reads it, and the MCP tool `metrics` answers it; a bad `since` is a 400 with its code.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newToken } from '../src/access/tokens.js';
import type { MetricsJson } from '../src/observability/metrics/types.js';
import { openStore } from '../src/store/open.js';
import { baton } from './helpers.js';
import { json, killServers, project, serve, type Served } from './serve-helpers.js';

const FLAKY = 'name: flaky\ntasks:\n  - id: call\n    command: if [ -f called ]; then echo ok; else touch called; exit 1; fi\n    retry: { attempts: 2, delay: 10ms }\n';
const BROKEN = 'name: broken\ntasks:\n  - id: fail\n    command: exit 3\n';

let dir: string;
let server: Served;
const viewer: Record<string, string> = {};

beforeAll(async () => {
  dir = project({ 'flaky.yaml': FLAKY, 'broken.yaml': BROKEN, 'baton.config.yaml': 'store: .baton/baton.db\nserver:\n  namespaces:\n    acme: { workflows: tenants/acme }\n' });
  mkdirSync(path.join(dir, 'tenants', 'acme'), { recursive: true });
  for (const [file, exit] of [['flaky.yaml', 0], ['flaky.yaml', 0], ['broken.yaml', 1]] as const) {
    expect(baton(['run', file, '--view', 'none'], { cwd: dir }).status).toBe(exit);
  }
  const store = openStore(path.join(dir, '.baton', 'baton.db'));
  // A run of another namespace: its tokens see it, the default namespace's do not.
  const at = Date.now();
  await store.runs.createRun({ id: 'ACME1', workflow: 'flaky', created_at: at }, [
    { type: 'RunCreated', workflow: { name: 'flaky', tasks: [] }, inputs: {}, env: {}, namespace: 'acme', at },
    { type: 'RunStarted', at: at + 1 },
    { type: 'RunFailed', error: { code: 'RUN_TASK_FAILED', message: 'x' }, at: at + 2 },
  ]);
  for (const namespace of ['default', 'acme']) {
    const made = newToken();
    await store.access.addToken({ id: made.id, roles: ['viewer'], namespace, hash: made.hash, created_at: Date.now(), created_by: 'test' });
    viewer[namespace] = made.token;
  }
  await store.close();
  server = await serve(dir);
}, 60_000);

afterAll(() => killServers());

const get = async (query: string, namespace = 'default') => json(await fetch(`${server.base}/api/metrics${query}`, { headers: { authorization: `Bearer ${viewer[namespace]}` } }));

it("answers a viewer with the namespace's metrics, the document baton metrics --json prints", async () => {
  const { status, body } = await get('?since=1h');
  expect(status, JSON.stringify(body)).toBe(200);
  const doc = body as unknown as MetricsJson;
  expect(doc.totals).toEqual({ runs: 3, succeeded: 2, failed: 1, cancelled: 0, unfinished: 0, success_rate: 66.67 });
  expect(doc.workflows.map((w) => [w.workflow, w.runs, w.retries, w.success_rate])).toEqual([
    ['broken', 1, 0, 0],
    ['flaky', 2, 1, 100],
  ]);
  // The other namespace's run is not counted here, and is all that namespace sees.
  const acmeAnswer = await get('?since=1h', 'acme');
  expect(acmeAnswer.status, JSON.stringify(acmeAnswer.body)).toBe(200);
  const acme = acmeAnswer.body as unknown as MetricsJson;
  expect(acme.totals).toMatchObject({ runs: 1, failed: 1, success_rate: 0 });

  // The CLI with --server prints what the API answers (the local store would also count acme's run).
  const remote = baton(['metrics', '--server', server.base, '--since', '1h', '--json'], { cwd: dir, env: { BATON_TOKEN: viewer.default } });
  expect(remote.status, remote.stderr).toBe(0);
  const printed = JSON.parse(remote.stdout) as MetricsJson;
  expect({ ...printed, since: '', until: '' }).toEqual({ ...doc, since: '', until: '' });
  const local = JSON.parse(baton(['metrics', '--since', '1h', '--json'], { cwd: dir }).stdout) as MetricsJson;
  expect(local.totals.runs).toBe(4);
  expect(local.workflows.find((w) => w.workflow === 'broken')).toEqual(doc.workflows.find((w) => w.workflow === 'broken'));
});

it('keeps to one workflow and gives its slowest run with the critical path', async () => {
  const doc = (await get('?workflow=flaky')).body as unknown as MetricsJson;
  expect(doc.workflow).toBe('flaky');
  expect(doc.workflows).toHaveLength(1);
  expect(doc.workflows[0].slowest_run!.critical_path.map((s) => s.task)).toEqual(['call']);
  expect(Date.parse(doc.until) - Date.parse(doc.since)).toBe(7 * 86_400_000);
});

it('refuses a since that is neither a duration nor a date (400), and a caller without a token (401)', async () => {
  const bad = await get('?since=lately');
  expect(bad.status).toBe(400);
  expect((bad.body.error as { code: string; message: string }).code).toBe('METRICS_BAD_SINCE');
  expect((bad.body.error as { message: string }).message).toContain('since "lately" is neither a duration');
  expect((await fetch(`${server.base}/api/metrics`)).status).toBe(401);
});

it('answers the MCP tool metrics with the same document, in the caller\'s namespace', async () => {
  const client = new Client({ name: 'baton-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${server.base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${viewer.acme}` } } }));
  try {
    const text = (result: unknown) => (result as { content: Array<{ text: string }> }).content[0].text;
    const answered = await client.callTool({ name: 'metrics', arguments: { since: '1h' } });
    expect(answered.isError, text(answered)).toBeFalsy();
    const doc = JSON.parse(text(answered)) as MetricsJson;
    const api = (await get('?since=1h', 'acme')).body as unknown as MetricsJson;
    expect({ ...doc, since: '', until: '' }).toEqual({ ...api, since: '', until: '' });
    const bad = await client.callTool({ name: 'metrics', arguments: { since: 'soon' } });
    expect(bad.isError).toBe(true);
    expect(JSON.parse(text(bad)).error).toMatchObject({ code: 'METRICS_BAD_SINCE' });
  } finally {
    await client.close();
  }
});
