/**
 * Real processes using one file at the same moment: claiming the same run (exactly one may
 * win), and opening a new file (each must find it set up, none may fail). Each child says
 * it is ready, and acts when the test says go (to all of them at once, through stdin).
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ev, T0 } from '../contract-fixtures.js';
import { spawnStoreScript } from './child-script.js';
import { openSqliteStore } from './index.js';

const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-claim-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const script = `const { openSqliteStore } = await import(STORE);
const [file, runId] = process.argv.slice(2);
const store = openSqliteStore(file);
const owner = { host: 'test-host', pid: process.pid, started_at: 1 };
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  const result = await store.runs.claimRun(runId, owner, Date.now(), () => false);
  process.stdout.write(JSON.stringify({ pid: process.pid, claimed: result.claimed, owner: result.record.owner }) + '\\n');
  await store.close();
  process.exit(0);
});
`;

interface Claimant {
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  next(): Promise<string>;
}

const opener = `const { openSqliteStore } = await import(STORE);
const [file, runId] = process.argv.slice(2);
process.stdout.write('ready\\n');
process.stdin.once('data', async () => {
  const store = openSqliteStore(file);
  await store.runs.createRun({ id: runId, workflow: 'w', created_at: Date.now() }, [{ type: 'RunStarted', at: Date.now() }]);
  process.stdout.write(JSON.stringify((await store.runs.listTasks(runId)).length) + '\\n');
  await store.close();
  process.exit(0);
});
`;

function claimant(file: string, runId: string, code = script): Claimant {
  const child = spawnStoreScript(root, code === script ? 'claim.mjs' : 'open.mjs', code, [file, runId]) as ChildProcessWithoutNullStreams;
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
  const exited = new Promise<string>((_, reject) => child.on('exit', (code) => reject(new Error(`claimant exited ${code}: ${stderr}`))));
  exited.catch(() => {}); // Only an error while a line is awaited.
  return {
    child,
    lines,
    next: () => {
      const line = lines.shift();
      return line !== undefined ? Promise.resolve(line) : Promise.race([new Promise<string>((resolve) => waiting.push(resolve)), exited]);
    },
  };
}

it('lets exactly one of several processes claiming at once take the run', { timeout: 120_000 }, async () => {
  const file = path.join(root, 'baton.db');
  const store = openSqliteStore(file);
  const rounds = 4;
  try {
    for (let round = 0; round < rounds; round++) {
      const runId = `R${round}`;
      await store.runs.createRun({ id: runId, workflow: 'w', created_at: T0 }, [ev.created(), ev.started()]);
      const claimants = Array.from({ length: 4 }, () => claimant(file, runId));
      for (const c of claimants) expect(await c.next()).toBe('ready');
      for (const c of claimants) c.child.stdin.write('go\n');
      const results = (await Promise.all(claimants.map((c) => c.next()))).map((line) => JSON.parse(line) as { pid: number; claimed: boolean; owner: { pid: number } });
      const winners = results.filter((r) => r.claimed);
      expect(winners).toHaveLength(1);
      // The losers saw the winner as the owner.
      for (const r of results) expect(r.owner.pid).toBe(winners[0].pid);
      expect((await store.runs.getRun(runId))?.owner?.pid).toBe(winners[0].pid);
    }
  } finally {
    await store.close();
  }
});

it('lets several processes open a new file at once, each finding it set up', { timeout: 120_000 }, async () => {
  for (let round = 0; round < 3; round++) {
    const file = path.join(root, `new-${round}`, 'baton.db');
    const openers = Array.from({ length: 4 }, (_, i) => claimant(file, `R${i}`, opener));
    for (const o of openers) expect(await o.next()).toBe('ready');
    for (const o of openers) o.child.stdin.write('go\n');
    expect(await Promise.all(openers.map((o) => o.next()))).toEqual(['0', '0', '0', '0']);
    const store = openSqliteStore(file);
    try {
      expect((await store.runs.listRuns()).map((r) => r.id).sort()).toEqual(['R0', 'R1', 'R2', 'R3']);
    } finally {
      await store.close();
    }
  }
});

it("a waiter wakes when another process appends to the run (SQLite's data_version), not on a timer of its own", async () => {
  const file = path.join(root, 'waits.db');
  const store = openSqliteStore(file);
  try {
    await store.runs.createRun({ id: 'W1', workflow: 'w', created_at: T0 }, [ev.created(T0)]);
    const waiting = store.runs.waitForEvents('W1', 1, { timeoutMs: 60_000 });
    // Another process appends: this store's own appends never happen.
    const appender = `const { openSqliteStore } = await import(STORE);
const [file] = process.argv.slice(2);
const store = openSqliteStore(file);
await store.runs.append('W1', [{ type: 'RunStarted', at: ${T0 + 1} }]);
await store.close();
`;
    const child = spawnStoreScript(root, 'append.mjs', appender, [file]);
    await new Promise((resolve) => child.on('exit', resolve));
    const events = await waiting;
    expect(events.map((e) => [e.seq, e.type])).toEqual([[2, 'RunStarted']]);
  } finally {
    await store.close();
  }
});
