/**
 * A full disk, for real: the store lives on a small tmpfs that is then filled up. Writes
 * must fail with STORE_DISK_FULL, and once space is freed everything recorded before must
 * be there, intact.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect, it } from 'vitest';
import { errorCode } from '../../observability/errors.js';
import { ev, expectedTasks, T0 } from '../contract-fixtures.js';
import type { TimedEvent } from '../events.js';
import { useSmallTmpfs } from '../test-tmpfs.js';
import { openSqliteStore } from './index.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
// Room for a fresh store (its schema, after every migration) and a run of 50 tasks; then filled.
const disk = useSmallTmpfs('baton-disk-full-', '2m');
const mountPoint = disk.dir;

/** Writes a file until the disk is full. */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

async function code(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    return `${errorCode(err)}: ${(err as Error).message}`;
  }
  return 'no error';
}

it('fails writes with STORE_DISK_FULL and loses nothing recorded before', async (context) => {
  const skip = disk.skipReason();
  if (skip !== undefined) {
    context.skip(skip);
    return;
  }
  const file = path.join(mountPoint, 'baton.db');
  const store = openSqliteStore(file);
  const events: TimedEvent[] = [ev.created(), ev.started()];
  await store.runs.createRun({ id: 'R1', workflow: 'w', created_at: T0 }, events);
  for (let i = 0; i < 50; i++) {
    const batch = [ev.ready(`t${i}`), ev.start(`t${i}`, 1), ev.ok(`t${i}`, 1, T0, { i })];
    await store.runs.append('R1', batch);
    events.push(...batch);
    store.logs.write('R1', `t${i}`, 1, 'stdout', `output of t${i}\n`);
  }
  store.logs.write('R1', 'big', 1, 'stdout', 'kept line\n');
  const filler = path.join(mountPoint, 'filler');
  fill(filler);

  const huge = { blob: 'x'.repeat(256 * 1024) };
  const append = await code(() => store.runs.append('R1', [ev.ready('late'), ev.start('late', 1), ev.ok('late', 1, T0, huge)]));
  expect(append).toMatch(/^STORE_DISK_FULL: .*baton\.db.*free some space/);
  const log = await code(() => store.logs.write('R1', 'big', 1, 'stdout', `${'y'.repeat(100)}\n`.repeat(5000)));
  expect(log).toMatch(/^STORE_DISK_FULL: .*big\.1\.log/);
  // What was recorded is still readable while the disk is full.
  expect(await store.runs.readEvents('R1')).toHaveLength(events.length);

  rmSync(filler);
  await store.close();
  const reopened = openSqliteStore(file);
  try {
    const stored = await reopened.runs.readEvents('R1');
    // (append numbers the caller's events in place, so both sides carry their seq.)
    expect(stored).toEqual(events);
    expect(await reopened.runs.listTasks('R1')).toEqual(expectedTasks(events));
    const lines = (await reopened.logs.read('R1')).lines.map((l) => l.text);
    expect(lines.filter((l) => l.startsWith('output of'))).toHaveLength(50);
    expect(lines).toContain('kept line');
    // No partial line from the failed write.
    expect(lines.filter((l) => l.startsWith('y'))).toEqual([]);
    // And it works again.
    expect((await reopened.runs.append('R1', [ev.ready('late')]))[0].seq).toBe(events.length + 1);
    reopened.logs.write('R1', 'big', 1, 'stdout', 'after\n');
    expect((await reopened.logs.read('R1', { task: 'big' })).lines.map((l) => l.text)).toEqual(['kept line', 'after']);
  } finally {
    await reopened.close();
  }
  const db = new Database(file, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();
});
