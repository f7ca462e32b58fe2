/**
 * Namespaces of `baton serve` (issue 11): two tenants serving a workflow of the same name,
 * each seeing only its own runs; events, webhooks and resource pools kept apart.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newToken } from '../src/access/tokens.js';
import { openStore } from '../src/store/open.js';
import { json, killServers, project, serve, type Served } from './serve-helpers.js';

const deploy = (who: string) =>
  `name: deploy\ntriggers:\n  - type: event\n    config: { event: go }\n  - type: webhook\n    config: { webhook: /push }\ntasks:\n  - id: hold\n    command: sleep 2 && echo ${who}\n    resources: [db]\n`;

let dir: string;
let server: Served;
const auth: Record<string, Record<string, string>> = {};

beforeAll(async () => {
  dir = project({
    'deploy.yaml': deploy('default'),
    'baton.config.yaml': 'store: .baton/baton.db\nresources: { db: 1 }\nserver:\n  namespaces:\n    acme: { workflows: tenants/acme }\n',
  });
  mkdirSync(path.join(dir, 'tenants', 'acme'), { recursive: true });
  writeFileSync(path.join(dir, 'tenants', 'acme', 'deploy.yaml'), deploy('acme'));
  // A skill of acme's own, and one of the project's (the default namespace's).
  for (const [folder, name] of [[path.join(dir, 'tenants', 'acme', 'skills', 'acme-only'), 'acme-only'], [path.join(dir, 'skills', 'house-only'), 'house-only']]) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, 'SKILL.md'), `---\nname: ${name}\ndescription: A skill that belongs to one namespace, for the test of what each sees.\n---\n# ${name}\n\nNothing to run.\n`);
  }
  const store = openStore(path.join(dir, '.baton', 'baton.db'));
  for (const namespace of ['default', 'acme']) {
    const made = newToken();
    await store.access.addToken({ id: made.id, roles: ['operator'], namespace, hash: made.hash, created_at: Date.now(), created_by: 'test' });
    auth[namespace] = { authorization: `Bearer ${made.token}`, 'content-type': 'application/json' };
  }
  await store.close();
  server = await serve(dir);
}, 30_000);

afterAll(() => killServers());

const runs = async (namespace: string) => ((await json(await fetch(`${server.base}/api/runs?limit=100`, { headers: auth[namespace] }))).body.runs as Array<{ run_id: string; status: string }>);

async function settled(namespace: string, count: number): Promise<Array<{ run_id: string; status: string }>> {
  for (let i = 0; i < 150; i++) {
    const list = await runs(namespace);
    if (list.length >= count && list.every((r) => r.status === 'succeeded' || r.status === 'failed')) return list;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`runs of ${namespace} did not end: ${JSON.stringify(await runs(namespace))}`);
}

it('keeps runs, events, webhooks and pools of two namespaces apart', async () => {
  // One workflow name, two tenants: each start lands in its caller's namespace, at once.
  const a = await json(await fetch(`${server.base}/api/workflows/deploy/runs`, { method: 'POST', headers: auth.default, body: '{}' }));
  const b = await json(await fetch(`${server.base}/api/workflows/deploy/runs`, { method: 'POST', headers: auth.acme, body: '{}' }));
  expect([a.status, b.status], JSON.stringify([a.body, b.body])).toEqual([201, 201]);
  const [mine, theirs] = [await settled('default', 1), await settled('acme', 1)];
  expect(mine.map((r) => r.run_id)).toEqual([a.body.run_id]);
  expect(theirs.map((r) => r.run_id)).toEqual([b.body.run_id]);
  // Each namespace's db pool has room for one: neither run waited for the other's.
  const store = openStore(path.join(dir, '.baton', 'baton.db'));
  try {
    for (const id of [a.body.run_id as string, b.body.run_id as string]) {
      expect((await store.runs.readEvents(id)).map((e) => e.type)).not.toContain('TaskAwaitingResources');
    }
    expect((await store.runs.getRun(b.body.run_id as string))?.namespace).toBe('acme');
  } finally {
    await store.close();
  }

  // An event of default fires default's trigger only.
  const emitted = await json(await fetch(`${server.base}/api/events/go`, { method: 'POST', headers: auth.default, body: '{}' }));
  expect(emitted.status).toBe(200);
  expect((await settled('default', 2)).length).toBe(2);
  expect((await runs('acme')).length).toBe(1);

  // acme's webhook is acme's, at /ns/acme/hooks; default's at /hooks.
  const hooked = await json(await fetch(`${server.base}/ns/acme/hooks/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ref":"main"}' }));
  expect(hooked.status).toBe(202);
  expect((await settled('acme', 2)).map((r) => r.run_id)).toContain(hooked.body.run_id);
  expect((await runs('default')).map((r) => r.run_id)).not.toContain(hooked.body.run_id);
  const nowhere = await fetch(`${server.base}/ns/globex/hooks/push`, { method: 'POST', body: '{}' });
  expect(nowhere.status).toBe(404);
  // Skills: each namespace its own (and baton's built-ins), not the other's.
  const skills = async (namespace: string) => ((await json(await fetch(`${server.base}/api/skills`, { headers: auth[namespace] }))).body.skills as Array<{ name: string }>).map((k) => k.name);
  expect(await skills('acme')).toContain('acme-only');
  expect(await skills('acme')).not.toContain('house-only');
  expect(await skills('default')).toContain('house-only');
  expect(await skills('default')).not.toContain('acme-only');
  expect(await skills('acme')).toContain('find-errors');
  // Runs a trigger started are in the audit trail with the trigger as their actor, in their namespace.
  const trail = openStore(path.join(dir, '.baton', 'baton.db'));
  try {
    const starts = await trail.access.listAudit({ action: 'run.start', limit: 50 });
    expect(starts.find((e) => e.actor === 'trigger:event:go')).toMatchObject({ namespace: 'default', origin: 'trigger', outcome: 'ok' });
    expect(starts.find((e) => e.actor === 'trigger:webhook:/push')).toMatchObject({ namespace: 'acme', origin: 'trigger', outcome: 'ok', target: hooked.body.run_id });
  } finally {
    await trail.close();
  }
  expect(server.log()).toMatch(/namespaces: default \(.*\), acme \(.*tenants\/acme\)/);
  const firings = await json(await fetch(`${server.base}/api/firings`, { headers: auth.acme }));
  expect((firings.body.firings as Array<{ trigger: string }>).map((f) => f.trigger)).toEqual(['webhook']);
}, 60_000);
