/**
 * What only a SQLite file has: persistence, migrations, other processes, and the ways a
 * file can go wrong (corrupted, read-only, written by a newer baton).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { errorCode } from '../../observability/errors.js';
import { ev, expectedTasks, realisticRun, T0 } from '../contract-fixtures.js';
import { openStore } from '../open.js';
import type { Store } from '../store.js';
import { MIGRATIONS, SCHEMA_VERSION, migrate, openSqliteStore, schemaVersion } from './index.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const freshDir = () => mkdtempSync(path.join(root, 'case-'));

async function rejection(fn: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    return { code: errorCode(err), message: (err as Error).message };
  }
  throw new Error('expected an error');
}

/** A store file holding the realistic run R1 (finished) and R2 (running, with logs). */
async function populated(file: string): Promise<void> {
  const store = openSqliteStore(file);
  const batches = realisticRun();
  await store.runs.createRun({ id: 'R1', workflow: 'deploy', created_at: T0 }, batches[0]);
  for (const batch of batches.slice(1)) await store.runs.append('R1', batch);
  await store.runs.createRun({ id: 'R2', workflow: 'build', created_at: T0 + 1 }, [ev.created(), ev.started(), ev.ready('a')]);
  store.logs.write('R2', 'a', 1, 'stdout', 'hello\nworld\n');
  store.logs.end('R2', 'a', 1);
  await store.close();
}

async function snapshot(store: Store) {
  return {
    runs: await store.runs.listRuns(),
    events: await store.runs.readEvents('R1'),
    tasks: await store.runs.listTasks('R1'),
    logs: (await store.logs.read('R2')).lines.map((l) => l.text),
  };
}

describe('sqlite store file', () => {
  it('keeps everything across close and reopen, and goes on numbering', async () => {
    const file = path.join(freshDir(), 'nested', 'baton.db');
    await populated(file);
    const store = openSqliteStore(file);
    try {
      const seen = await snapshot(store);
      expect(seen.runs.map((r) => [r.id, r.status])).toEqual([
        ['R2', 'running'],
        ['R1', 'succeeded'],
      ]);
      expect(seen.tasks).toEqual(expectedTasks(realisticRun().flat()));
      expect(seen.logs).toEqual(['hello', 'world']);
      expect(existsSync(path.join(path.dirname(file), 'logs', 'R2'))).toBe(true);
      const [next] = await store.runs.append('R2', [ev.start('a', 1)]);
      expect(next.seq).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('sees what another connection appended to the same run', async () => {
    const file = path.join(freshDir(), 'baton.db');
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    try {
      await a.runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, [ev.created(), ev.started(), ev.ready('x')]);
      await a.runs.append('R1', [ev.start('x', 1)]);
      // b appends in between (say, `baton retry` after a takeover); a's cached rows are stale.
      expect((await b.runs.append('R1', [ev.ok('x', 1), ev.ready('y')]))[0].seq).toBe(5);
      const [last] = await a.runs.append('R1', [ev.start('y', 1)]);
      expect(last.seq).toBe(7);
      const events = await a.runs.readEvents('R1');
      expect(await a.runs.listTasks('R1')).toEqual(expectedTasks(events));
      expect(await b.runs.listTasks('R1')).toEqual(expectedTasks(events));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('stays intact after much work (integrity_check), in WAL mode', async () => {
    const file = path.join(freshDir(), 'baton.db');
    await populated(file);
    const store = openSqliteStore(file);
    await store.runs.createRun({ id: 'R3', workflow: 'w', created_at: T0 }, [ev.created(), ev.started()]);
    for (let i = 0; i < 2000; i++) await store.runs.append('R3', [ev.ready(`t${i}`), ev.start(`t${i}`, 1), ev.ok(`t${i}`, 1, T0, { i })]);
    await store.runs.rebuildProjection();
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('opens through openStore by path', async () => {
    const dir = freshDir();
    const store = openStore(path.join(dir, 'baton.db'));
    expect(store.location).toBe(path.join(dir, 'baton.db'));
    await store.close();
    const memory = openStore('memory');
    expect(memory.location).toBe('memory');
    await memory.close();
  });
});

describe('sqlite migrations', () => {
  it('are numbered 1, 2, ... in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    for (const m of MIGRATIONS) expect(m.name).toMatch(new RegExp(`^${String(m.version).padStart(3, '0')}_`));
  });

  it('set up an empty file', async () => {
    const file = path.join(freshDir(), 'baton.db');
    writeFileSync(file, '');
    await populated(file);
    const db = new Database(file);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    db.close();
  });

  for (let from = 0; from < SCHEMA_VERSION; from++) {
    it(`bring a version ${from} file up to date`, async () => {
      const file = path.join(freshDir(), 'baton.db');
      const db = new Database(file);
      migrate(db, from);
      expect(schemaVersion(db)).toBe(from);
      db.close();
      await populated(file);
      const store = openSqliteStore(file);
      try {
        expect((await snapshot(store)).tasks).toEqual(expectedTasks(realisticRun().flat()));
      } finally {
        await store.close();
      }
    });
  }
});

describe('sqlite files that cannot be used as they are', () => {
  it('reports a corrupted file and leaves it alone', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'baton.db');
    await populated(file);
    const bad = path.join(dir, 'bad.db');
    copyFileSync(file, bad);
    const fd = openSync(bad, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x5a), 0, 100, 0);
    closeSync(fd);
    const before = readFileSync(bad);
    const error = await rejection(() => openSqliteStore(bad));
    expect(error.code).toBe('STORE_CORRUPT');
    expect(error.message).toContain(bad);
    expect(error.message).toMatch(/move it aside|backup/);
    expect(readFileSync(bad).equals(before)).toBe(true);
  });

  it('reports damage inside the file when it reads it', async () => {
    const dir = freshDir();
    const file = path.join(dir, 'baton.db');
    await populated(file);
    const bad = path.join(dir, 'bad.db');
    copyFileSync(file, bad);
    const size = readFileSync(bad).length;
    const fd = openSync(bad, 'r+');
    // Garbage over every page but the first (the header and schema stay readable).
    for (let at = 4096; at < size; at += 4096) writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, at);
    closeSync(fd);
    const error = await rejection(async () => {
      const store = openSqliteStore(bad);
      try {
        await store.runs.listRuns();
        await store.runs.readEvents('R1');
      } finally {
        await store.close();
      }
    });
    expect(error.code).toBe('STORE_CORRUPT');
  });

  it('leaves a file written by a newer baton untouched', async () => {
    const file = path.join(freshDir(), 'baton.db');
    await populated(file);
    const db = new Database(file);
    db.pragma('user_version = 999');
    db.close();
    const before = readFileSync(file);
    const error = await rejection(() => openSqliteStore(file));
    expect(error.code).toBe('STORE_SCHEMA_TOO_NEW');
    expect(error.message).toMatch(/newer baton.*upgrade baton/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('reads but does not write when opened read-only', async () => {
    const file = path.join(freshDir(), 'baton.db');
    await populated(file);
    const store = openSqliteStore(file, { readonly: true });
    try {
      expect((await snapshot(store)).logs).toEqual(['hello', 'world']);
      const append = await rejection(() => store.runs.append('R2', [ev.start('a', 1)]));
      expect(append.code).toBe('STORE_READONLY');
      expect(append.message).toContain(file);
      expect((await rejection(() => store.logs.write('R2', 'a', 2, 'stdout', 'x\n'))).code).toBe('STORE_READONLY');
      expect((await rejection(() => store.runs.claimRun('R2', { host: 'h', pid: 1, started_at: 1 }, T0, () => true))).code).toBe('STORE_READONLY');
    } finally {
      await store.close();
    }
    expect((await rejection(() => openSqliteStore(path.join(freshDir(), 'none.db'), { readonly: true }))).code).toBe('STORE_NOT_FOUND');
  });

  it('reads a store on a read-only file system and says why it cannot write', async () => {
    const dir = freshDir();
    await populated(path.join(dir, 'data', 'baton.db'));
    const ro = path.join(dir, 'ro');
    mkdirSync(ro);
    const bind = spawnSync('mount', ['--bind', path.join(dir, 'data'), ro]);
    const remount = bind.status === 0 ? spawnSync('mount', ['-o', 'remount,ro,bind', ro]) : bind;
    if (remount.status !== 0) {
      spawnSync('umount', [ro]);
      console.warn(`skipped: cannot make a read-only mount here (needs root): ${remount.stderr}`);
      return;
    }
    try {
      const file = path.join(ro, 'baton.db');
      const store = openSqliteStore(file);
      try {
        const seen = await snapshot(store);
        expect(seen.tasks).toEqual(expectedTasks(realisticRun().flat()));
        expect(seen.logs).toEqual(['hello', 'world']);
        const error = await rejection(() => store.runs.append('R2', [ev.start('a', 1)]));
        expect(error.code).toBe('STORE_READONLY');
        expect(error.message).toContain(file);
        expect((await rejection(() => store.logs.write('R2', 'a', 2, 'stdout', 'x\n'))).code).toBe('STORE_READONLY');
      } finally {
        await store.close();
      }
    } finally {
      spawnSync('umount', [ro]);
    }
  });
});
