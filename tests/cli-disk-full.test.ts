/**
 * A run whose disk fills up, for real: the store is on a small tmpfs. The run must stop
 * with one clear line (STORE_DISK_FULL), leave nothing half-recorded, show as interrupted,
 * and finish with `baton resume` once there is room again (the tmpfs is grown).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { useSmallTmpfs } from '../src/store/test-tmpfs.js';
import { baton } from './helpers.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');
const disk = useSmallTmpfs('baton-run-disk-full-', '2m');

it('stops a run when the disk fills, then resumes it once there is room', (context) => {
  const skip = disk.skipReason();
  if (skip !== undefined) {
    context.skip(skip);
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-disk-full-flow-'));
  writeFileSync(
    path.join(dir, 'flow.yaml'),
    `name: chatty
tasks:
  - id: small
    command: echo fine
  - id: loud
    depends_on: [small]
    command: head -c 4000000 /dev/zero | tr '\\0' 'x' | fold -w 100
  - id: after
    depends_on: [loud]
    command: echo done
`,
  );
  const store = path.join(disk.dir, 'baton.db');
  const full = baton(['run', 'flow.yaml', '--store', store, '--view', 'none'], { cwd: dir });
  expect(full.status).toBe(3);
  expect(full.stderr).toContain('STORE_DISK_FULL');
  expect(full.stderr.trim().split('\n')).toHaveLength(1);

  const history = JSON.parse(baton(['history', '--json', '--store', store]).stdout);
  expect(history[0].status).toBe('interrupted');
  const id = history[0].run_id as string;
  // The one line says which run stopped and how to go on.
  expect(full.stderr).toMatch(new RegExp(`^baton: run ${id} stopped: no space left .*; go on with \`baton resume ${id}\` once that is fixed \\[STORE_DISK_FULL\\]\\n$`));

  disk.resize('64m');
  const db = new Database(store, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  db.close();

  const resumed = baton(['resume', id, '--store', store, '--view', 'none']);
  expect(resumed.stderr).toBe('');
  expect(resumed.status).toBe(0);
  const status = JSON.parse(baton(['status', id, '--json', '--store', store]).stdout);
  expect(status.status).toBe('succeeded');
  expect(status.tasks.find((t: { id: string }) => t.id === 'small').attempts).toBe(1);
}, 60_000);
