/**
 * A store whose file has a damaged page: baton says truthfully what it did and did not
 * record, writes nothing more to it once SQLite reports the damage, and refuses to go on
 * with a run inside it, while what still reads well stays readable.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { baton, tempDir, writeWorkflow } from './helpers.js';
import { recordRun } from './runs-fixture.js';

const FLOW = `name: nightly
tasks:
  - id: fetch
    command: echo fetched
  - id: report
    depends_on: [fetch]
    command: echo reported
`;

/** The page of runs_by_status that the next finished run's entry goes to (the rightmost leaf). */
function lastStatusLeaf(db: string): { page: number; pageSize: number } {
  const conn = new Database(db, { readonly: true });
  try {
    const leaves = conn.prepare("SELECT pageno, path FROM dbstat WHERE name = 'runs_by_status' AND pagetype = 'leaf' ORDER BY path").all() as { pageno: number; path: string }[];
    expect(leaves.length).toBeGreaterThan(1);
    return { page: leaves[leaves.length - 1].pageno, pageSize: conn.pragma('page_size', { simple: true }) as number };
  } finally {
    conn.close();
  }
}

function damagePage(db: string, page: number, pageSize: number): void {
  const fd = openSync(db, 'r+');
  try {
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (page - 1) * pageSize);
  } finally {
    closeSync(fd);
  }
}

function eventCount(db: string, runId: string): number {
  const conn = new Database(db, { readonly: true });
  try {
    return (conn.prepare('SELECT count(*) AS n FROM events WHERE run_id = ?').get(runId) as { n: number }).n;
  } finally {
    conn.close();
  }
}

describe('a damaged page in the middle of baton.db', () => {
  let db: string;
  let file: string;
  let runId: string;
  let run: ReturnType<typeof baton>;

  beforeAll(async () => {
    const dir = tempDir();
    db = path.join(dir, 'baton.db');
    // Enough runs that the status index spans several pages; the last one is damaged.
    for (let i = 0; i < 300; i++) await recordRun(db, FLOW);
    const { page, pageSize } = lastStatusLeaf(db);
    damagePage(db, page, pageSize);
    file = writeWorkflow(FLOW);
    run = baton(['run', file, '--store', db, '--view', 'plain']);
    runId = /run ([0-9A-Z]{26}) started/.exec(run.stdout)![1];
  }, 120_000);

  it('run: the tasks ran and were recorded; ending the run hit the damage, and baton says exactly that', () => {
    expect(run.status).toBe(3);
    expect(run.stdout).toMatch(/report succeeded/);
    expect(run.stderr).toContain(`SQLite reports ${db} damaged (database disk image is malformed) while recording run ${runId}: that change was not recorded, and baton writes nothing more to this file; what was recorded before it is still in the file.`);
    expect(run.stderr).toContain(`sqlite3 ${db} 'PRAGMA integrity_check'`);
    expect(run.stderr).toContain('baton export RUN');
    expect(run.stderr).not.toContain('did not change it');
    expect(run.stderr).not.toMatch(/internal error/);
  });

  it('status and history still read what is there; resume refuses to go on inside the damaged file and writes nothing', () => {
    const status = baton(['status', runId, '--store', db]);
    expect(status.stderr).not.toMatch(/internal error/);
    expect(status.stdout).toMatch(/report +succeeded/);
    expect(baton(['history', '--store', db, '--limit', '3']).status).toBe(0);

    const before = eventCount(db, runId);
    const resumed = baton(['resume', runId, '--store', db]);
    expect(resumed.status).toBe(3);
    expect(resumed.stderr).toContain(`${db} is damaged (PRAGMA quick_check:`);
    expect(resumed.stderr).toContain(`baton will not go on with run ${runId} in it, and changed nothing`);
    expect(eventCount(db, runId)).toBe(before);
  });
});
