import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

/**
 * A run with a 100,000-item loop stays a good citizen while it goes: its heartbeat keeps
 * moving (another host would otherwise take it for dead after 30 s), and Ctrl-C or
 * `baton cancel` end it within seconds, even while the loop is expanding. Bounds are
 * generous (the machine may be busy); before the fix neither happened until the run ended.
 */
const ITEMS = 100_000;

function project(parallel: boolean) {
  const dir = tempDir('baton-large-loop-');
  const items = Array.from({ length: ITEMS }, (_, i) => i);
  writeFileSync(
    path.join(dir, 'flow.json'),
    JSON.stringify({ name: 'large-loop', tasks: [{ id: 'each', type: 'loop', parallel, items, task: { type: 'noop' } }] }),
  );
  const home = path.join(dir, '.baton');
  const env = { BATON_HOME: home };
  let db: Database.Database | undefined;
  /** The run as the store has it now (read-only, beside the running baton). */
  const row = (): { id: string; status: string; heartbeat_at: number | null } | undefined => {
    const file = path.join(home, 'baton.db');
    if (!db) {
      if (!existsSync(file)) return undefined;
      db = new Database(file, { readonly: true, fileMustExist: true });
    }
    try {
      return db.prepare('SELECT id, status, heartbeat_at FROM runs').get() as ReturnType<typeof row>;
    } catch {
      return undefined; // not migrated yet, or busy for a moment
    }
  };
  return { dir, env, row, close: () => db?.close() };
}

describe('a run with a 100,000-item loop', () => {
  it('keeps its heartbeat going and ends cancelled soon after `baton cancel`', async () => {
    const p = project(false);
    const run = batonAsync(['run', 'flow.json', '--view', 'none'], { cwd: p.dir, env: p.env });
    try {
      await until(() => p.row()?.status === 'running', 60_000, 'the run to start');
      const beats = new Set<number>();
      for (let i = 0; i < 16; i++) {
        const hb = p.row()?.heartbeat_at;
        if (hb) beats.add(hb);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      // A heartbeat every 0.5 s: in 4 s at least a few, even with a pause for the expansion.
      expect(p.row()?.status).toBe('running');
      expect(beats.size).toBeGreaterThanOrEqual(3);

      const asked = Date.now();
      const cancel = baton(['cancel', p.row()!.id, '--timeout', '30'], { cwd: p.dir, env: p.env });
      expect(cancel.status).toBe(0);
      const result = await run.done;
      expect(Date.now() - asked).toBeLessThan(15_000);
      expect(result.status).toBe(130);
      expect(p.row()?.status).toBe('cancelled');
    } finally {
      run.child.kill('SIGKILL');
      p.close();
    }
  }, 120_000);

  it('ends cancelled within seconds of Ctrl-C sent while the loop expands', async () => {
    const p = project(true);
    const run = batonAsync(['run', 'flow.json', '--view', 'none'], { cwd: p.dir, env: p.env });
    try {
      // The run is recorded just before the loop starts expanding: interrupt right then.
      await until(() => p.row() !== undefined, 60_000, 'the run to be recorded');
      const sent = Date.now();
      run.child.kill('SIGINT');
      const result = await run.done;
      expect(Date.now() - sent).toBeLessThan(15_000);
      expect(result.status).toBe(130);
      expect(p.row()?.status).toBe('cancelled');
      const status = JSON.parse(baton(['status', p.row()!.id, '--json'], { cwd: p.dir, env: p.env }).stdout);
      expect(status.status).toBe('cancelled');
    } finally {
      run.child.kill('SIGKILL');
      p.close();
    }
  }, 120_000);
});
