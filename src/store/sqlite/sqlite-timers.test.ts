/**
 * What only SQLite's timers have: processes claiming one timer at the same moment (exactly
 * one may fire it), and a file from before timers were kept getting the rows its runs'
 * events set.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ev, T0 } from '../contract-fixtures.js';
import type { TimedEvent } from '../events.js';
import { spawnStoreScript } from './child-script.js';
import { openSqliteStore, schemaVersion, SCHEMA_VERSION } from './index.js';
import { migrate } from './migrate.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-timers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const claimer = `const { openSqliteStore } = await import(STORE);
const [file] = process.argv.slice(2);
const store = openSqliteStore(file);
const owner = { host: 'test-host', pid: process.pid, started_at: 1 };
const [due] = await store.timers.due(Date.now(), 1);
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  const claimed = await store.timers.claim(due, owner, Date.now(), () => false);
  process.stdout.write(JSON.stringify({ pid: process.pid, claimed }) + '\\n');
  await store.close();
  process.exit(0);
});
`;

/** A child process running `claimer`: its lines on stdout, one at a time. */
function start(file: string): { child: ChildProcessWithoutNullStreams; next(): Promise<string> } {
  const child = spawnStoreScript(root, 'claim-timer.mjs', claimer, [file]) as ChildProcessWithoutNullStreams;
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<string>((_, reject) => child.on('exit', (code) => reject(new Error(`claimer exited ${code}: ${stderr}`))));
  exited.catch(() => {});
  return {
    child,
    next: () => {
      const line = lines.shift();
      return line !== undefined ? Promise.resolve(line) : Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]);
    },
  };
}

const waiting = (until: number, at = T0): TimedEvent => ({ type: 'RunWaiting', waits: [{ task: 'nap', kind: 'sleep', until }], at });

it('lets exactly one of several processes claiming a due timer at once fire it', { timeout: 120_000 }, async () => {
  const file = path.join(root, 'claims.db');
  const store = openSqliteStore(file);
  try {
    for (let round = 0; round < 2; round++) {
      const runId = `R${round}`;
      await store.runs.createRun({ id: runId, workflow: 'w', created_at: T0 }, [ev.created(), ev.started(), waiting(T0 + round)]);
      const claimers = Array.from({ length: 4 }, () => start(file));
      for (const c of claimers) expect(await c.next()).toBe('ready');
      for (const c of claimers) c.child.stdin.write('go\n');
      const results = (await Promise.all(claimers.map((c) => c.next()))).map((line) => JSON.parse(line) as { pid: number; claimed: boolean });
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      expect((await store.timers.ofRun(runId))[0].claimed_by?.pid).toBe(winners[0].pid);
      // Fired: the run wakes, and its timer is gone for everyone.
      await store.runs.append(runId, [{ type: 'RunWoke', at: T0 + 10 }]);
    }
    expect(await store.timers.due(Date.now(), 10)).toEqual([]);
  } finally {
    await store.close();
  }
});

it("gives the runs of a file from before timers were kept the timers their events set, as a rebuild does", async () => {
  const file = path.join(root, 'old.db');
  const store = openSqliteStore(file);
  const timed: TimedEvent = { type: 'RunCreated', workflow: { name: 'w', tasks: [], timeout: 60_000 }, inputs: {}, env: {}, at: T0 };
  await store.runs.createRun({ id: 'SLEEPS', workflow: 'w', created_at: T0 }, [timed, ev.started(T0 + 1), waiting(T0 + 5000, T0 + 2)]);
  await store.runs.createRun({ id: 'RETRIES', workflow: 'w', created_at: T0 }, [ev.created(), ev.started(), ev.ready('a'), ev.start('a', 1), ev.fail('a', 1), ev.retry('a', 2, T0 + 700)]);
  await store.runs.createRun({ id: 'ENDED', workflow: 'w', created_at: T0 }, [timed, ev.started(), ev.succeeded(T0 + 3)]);
  const kept = await store.timers.due(Number.MAX_SAFE_INTEGER, 100);
  expect(kept.map((t) => `${t.run_id}:${t.kind}:${t.key}@${t.due_at - T0}`)).toEqual(['RETRIES:retry:a@700', 'SLEEPS:wake:@5000', 'SLEEPS:deadline:@60001']);
  await store.close();

  // As a baton before timers left it, then migration 006 as an upgrade runs it (the later
  // migrations' tables are there already: the file is otherwise current).
  const db = new Database(file);
  db.exec('DROP TABLE timers');
  db.pragma('user_version = 5');
  migrate(db, 6);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
  db.close();

  const reopened = openSqliteStore(file);
  try {
    expect(await reopened.timers.due(Number.MAX_SAFE_INTEGER, 100)).toEqual(kept);
    await reopened.runs.rebuildProjection();
    expect(await reopened.timers.due(Number.MAX_SAFE_INTEGER, 100)).toEqual(kept);
  } finally {
    await reopened.close();
  }
  const check = new Database(file, { readonly: true });
  expect(schemaVersion(check)).toBe(SCHEMA_VERSION);
  check.close();
});
