/**
 * A store the current user may read but not write (a read-only file, a read-only folder):
 * what was recorded must still be readable, and writing must say why it cannot. Root may
 * write anything, so when the tests run as root the reader is a child process running as
 * `nobody`.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ev, T0 } from '../contract-fixtures.js';
import { spawnStoreScript } from './child-script.js';
import { openSqliteStore } from './index.js';

const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-perms-'));
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const reader = `const { openSqliteStore } = await import(STORE);
const codeOf = async (fn) => { try { await fn(); return 'ok'; } catch (err) { return err.code + ': ' + err.message; } };
const store = openSqliteStore(process.argv[2]);
const out = {
  runs: (await store.runs.listRuns()).map((r) => r.id + ' ' + r.status),
  tasks: (await store.runs.listTasks('R1')).map((t) => t.key + ' ' + t.status),
  logs: (await store.logs.read('R1')).lines.map((l) => l.text),
  append: await codeOf(() => store.runs.append('R1', [{ type: 'TaskReady', task: 'b', at: 1 }])),
  log: await codeOf(() => store.logs.write('R1', 'b', 1, 'stdout', 'x\\n')),
};
await store.close();
process.stdout.write(JSON.stringify(out));
`;

async function populate(file: string): Promise<void> {
  const store = openSqliteStore(file);
  await store.runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [ev.created(), ev.started(), ev.ready('a'), ev.start('a', 1), ev.ok('a', 1)]);
  store.logs.write('R1', 'a', 1, 'stdout', 'recorded\n');
  await store.close();
}

function readAs(file: string): Promise<Record<string, unknown>> {
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const child = spawnStoreScript(root, 'reader.mjs', reader, [file], { ...asNobody, env: { ...process.env, HOME: root } });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as Record<string, unknown>) : reject(new Error(`reader exited ${code}: ${stderr}`)))),
  );
}

const expected = (file: string) => ({
  runs: ['R1 running'],
  tasks: ['a succeeded'],
  logs: ['recorded'],
  append: expect.stringMatching(new RegExp(`^STORE_READONLY: ${file.replaceAll(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is read-only`)),
  log: expect.stringMatching(/^STORE_READONLY: /),
});

it('reads a store in a folder it may not write, and says why it cannot record', { timeout: 60_000 }, async () => {
  const dir = path.join(root, 'locked');
  mkdirSync(dir);
  const file = path.join(dir, 'baton.db');
  await populate(file);
  chmodSync(file, 0o444);
  chmodSync(dir, 0o555);
  try {
    expect(await readAs(file)).toEqual(expected(file));
  } finally {
    chmodSync(dir, 0o755);
  }
});

it('reads a read-only store file in a folder it may write', { timeout: 60_000 }, async () => {
  const dir = path.join(root, 'open');
  mkdirSync(dir);
  const file = path.join(dir, 'baton.db');
  await populate(file);
  chmodSync(file, 0o444);
  chmodSync(dir, 0o777);
  expect(await readAs(file)).toEqual(expected(file));
});
