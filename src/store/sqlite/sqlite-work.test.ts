/**
 * The SQLite work queue across processes: workers claiming from one file at the same moment
 * (each item to one of them), and waiters woken by another process's writes through SQLite's
 * data_version rather than by their own timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ev, T0 } from '../contract-fixtures.js';
import type { TimedEvent } from '../events.js';
import type { Store } from '../store.js';
import { spawnStoreScript } from './child-script.js';
import { openSqliteStore } from './index.js';

const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-work-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function withStore(name: string, test: (store: Store, file: string) => Promise<void>): Promise<void> {
  const file = path.join(root, name);
  const store = openSqliteStore(file);
  try {
    await test(store, file);
  } finally {
    await store.close();
  }
}

/** A run that workers drive, with `tasks` started and enqueued. */
async function runWithWork(store: Store, id: string, tasks: string[]): Promise<void> {
  await store.runs.createRun({ id, workflow: 'deploy', created_at: T0 }, [{ ...ev.created(), workers: { queue: 'default' } } as TimedEvent, ev.started()]);
  if (tasks.length === 0) return;
  const enqueue = tasks.map((task) => ({ run_id: id, task, attempt: 1, queue: 'default', namespace: 'default' }));
  await store.runs.append(id, tasks.flatMap((task) => [ev.ready(task), ev.start(task, 1)]), { enqueue });
}

/**
 * Runs `script` in another process: `ready` resolves once it printed its first line (a
 * script that waits for a go says so), `go` writes it a line, `done` is all it printed after.
 */
function inChild(name: string, script: string, args: string[]) {
  const child = spawnStoreScript(root, name, script, args);
  let out = '';
  let err = '';
  let ready: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out.includes('\n')) ready();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<string>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(out.slice(out.indexOf('\n') + 1)) : reject(new Error(`${name} exited ${code}: ${err}`)))));
  return { ready: Promise.race([isReady, done.then(() => undefined)]), go: () => child.stdin!.write('go\n'), done };
}

it('gives each item to one of several processes claiming at once', { timeout: 120_000 }, async () => {
  await withStore('claims.db', async (store, file) => {
    const tasks = Array.from({ length: 200 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    await runWithWork(store, 'R1', tasks);
    // Each claims a few at a time until nothing is left, while the others do the same.
    const claimer = `const { openSqliteStore } = await import(STORE);
const [file, worker] = process.argv.slice(2);
const store = openSqliteStore(file);
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const got = [];
for (;;) {
  const claimed = await store.work.claim({ worker, queues: ['default'], limit: 2, leaseMs: 60000 });
  if (claimed.length === 0) break;
  got.push(...claimed.map((w) => w.task));
}
await store.close();
process.stdout.write(JSON.stringify(got));
process.exit(0);
`;
    const claimers = ['w1', 'w2', 'w3', 'w4'].map((worker) => inChild(`claim-${worker}.mjs`, claimer, [file, worker]));
    for (const c of claimers) await c.ready;
    for (const c of claimers) c.go();
    const claimed = (await Promise.all(claimers.map((c) => c.done))).flatMap((out) => JSON.parse(out) as string[]);
    expect(claimed.sort()).toEqual(tasks);
    const rows = await store.work.ofRun('R1');
    expect(rows.every((w) => w.state === 'claimed' && w.fence === 1)).toBe(true);
  });
});

it('wakes a waiting worker when another process enqueues, and a waiting driver when another records a result', { timeout: 60_000 }, async () => {
  await withStore('waits.db', async (store, file) => {
    await runWithWork(store, 'R1', []);
    const started = Date.now();
    const waitingWorker = store.work.waitForWork(['default'], { timeoutMs: 50_000 });
    const enqueuer = `const { openSqliteStore } = await import(STORE);
const store = openSqliteStore(process.argv[2]);
process.stdout.write('\\n');
await store.runs.append('R1', [{ type: 'TaskReady', task: 'a', at: ${T0} }, { type: 'TaskStarted', task: 'a', attempt: 1, at: ${T0} }], {
  enqueue: [{ run_id: 'R1', task: 'a', attempt: 1, queue: 'default', namespace: 'default' }],
});
await store.close();
`;
    await inChild('enqueue.mjs', enqueuer, [file]).done;
    await waitingWorker;
    const [a] = await store.work.claim({ worker: 'w1', queues: ['default'], limit: 1, leaseMs: 60_000 });
    expect(a.task).toBe('a');

    const waitingDriver = store.work.waitForResults('R1', { timeoutMs: 50_000 });
    const completer = `const { openSqliteStore } = await import(STORE);
const store = openSqliteStore(process.argv[2]);
process.stdout.write('\\n');
const done = await store.work.complete('w1', [{ id: ${a.id}, fence: ${a.fence}, result: { ok: true, outputs: { from: 'elsewhere' } } }]);
await store.close();
process.stdout.write(JSON.stringify(done));
`;
    expect(JSON.parse(await inChild('complete.mjs', completer, [file]).done)).toEqual({ accepted: [a.id], refused: [] });
    await waitingDriver;
    // Both woke by the other process's commits, long before their own timeouts.
    expect(Date.now() - started).toBeLessThan(40_000);
    expect((await store.work.ofRun('R1'))[0]).toMatchObject({ state: 'done', result: { ok: true, outputs: { from: 'elsewhere' } } });
  });
});

it('keeps a run’s queue through a rebuild of its projection', async () => {
  await withStore('rebuild.db', async (store) => {
    await runWithWork(store, 'R1', []);
    await store.runs.rebuildProjection('R1');
    expect((await store.runs.getRun('R1'))?.queue).toBe('default');
  });
});
