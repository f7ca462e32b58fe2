/**
 * A file SQLite finds damaged while baton uses it: the failed write is said as such, and
 * every later write from the same process is refused before it starts; reads go on.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TimedEvent } from '../events.js';
import { openSqliteStore } from './index.js';
import { loadDriver } from './driver.js';

const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-corrupt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const created = (at: number): TimedEvent => ({ type: 'RunCreated', workflow: { name: 'w', tasks: [] }, inputs: {}, env: {}, at });

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('sqlite store: a damaged page', () => {
  it('the write that finds it fails as STORE_CORRUPT saying it was not recorded; later writes are refused, reads go on', async () => {
    const file = path.join(mkdtempSync(path.join(root, 'store-')), 'baton.db');
    const store = openSqliteStore(file);
    for (let i = 0; i < 300; i++) {
      const at = 1_000 + i;
      await store.runs.createRun({ id: `R${String(i).padStart(4, '0')}`, workflow: 'w', created_at: at }, [created(at), { type: 'RunStarted', at }, { type: 'RunSucceeded', at }]);
    }
    await store.close();

    // The rightmost leaf of the status index: where the next finished run's entry goes.
    const Driver = loadDriver();
    const conn = new Driver(file, { readonly: true });
    const leaves = conn.prepare("SELECT pageno FROM dbstat WHERE name = 'runs_by_status' AND pagetype = 'leaf' ORDER BY path").pluck().all() as number[];
    const pageSize = conn.pragma('page_size', { simple: true }) as number;
    conn.close();
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (leaves[leaves.length - 1] - 1) * pageSize);
    closeSync(fd);

    const damaged = openSqliteStore(file);
    try {
      await damaged.runs.createRun({ id: 'NEW', workflow: 'w', created_at: 5_000 }, [created(5_000), { type: 'RunStarted', at: 5_000 }]);
      const failed = await rejection(damaged.runs.append('NEW', [{ type: 'RunSucceeded', at: 5_001 }]));
      expect(failed.code).toBe('STORE_CORRUPT');
      expect(failed.message).toMatch(/damaged \(database disk image is malformed\) while recording run NEW: that change was not recorded, and baton writes nothing more to this file/);
      expect((await damaged.runs.getRun('NEW'))?.status).toBe('running');

      // A write that would touch only healthy pages is refused all the same.
      const refused = await rejection(damaged.runs.requestCancel('R0001', 'stop'));
      expect(refused.code).toBe('STORE_CORRUPT');
      expect(refused.message).toMatch(/is damaged \(SQLite reported it earlier: .*\), so baton writes nothing more to it; run R0001 was not changed/);
      expect((await damaged.runs.getRun('R0001'))?.cancel_requested).toBeUndefined();
      expect(await damaged.runs.readEvents('R0001')).toHaveLength(3);
    } finally {
      await damaged.close();
    }

    // Another process continuing a run there: quick_check finds the damage first.
    const again = openSqliteStore(file);
    try {
      const claim = await rejection(again.runs.claimRun('NEW', { host: 'h', pid: 1, started_at: 1 }, 6_000, () => true));
      expect(claim.message).toMatch(/is damaged \(PRAGMA quick_check: .+\): baton will not go on with run NEW in it, and changed nothing/);
      expect((await again.runs.getRun('NEW'))?.owner).toBeUndefined();
    } finally {
      await again.close();
    }
  });

  it('a stored value that no longer parses (a damaged overflow page) is STORE_CORRUPT, not a crash', async () => {
    const file = path.join(mkdtempSync(path.join(root, 'store-')), 'baton.db');
    const store = openSqliteStore(file);
    await store.runs.createRun({ id: 'R1', workflow: 'w', created_at: 1 }, [created(1), { type: 'RunStarted', at: 2 }]);
    await store.close();
    const conn = new (loadDriver())(file);
    conn.prepare("UPDATE events SET data = '{\"type\": \"RunSta' WHERE run_id = 'R1' AND seq = 2").run();
    conn.close();
    const reopened = openSqliteStore(file);
    try {
      const err = await rejection(reopened.runs.readEvents('R1'));
      expect(err.code).toBe('STORE_CORRUPT');
      expect(err.message).toMatch(/damaged \(.*JSON.*\) while reading it: baton changed nothing/);
    } finally {
      await reopened.close();
    }
  });
});
