import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { expandLoop } from '../src/engine/expand.js';
import type { TaskSpec } from '../src/spec/model.js';
import type { LoopExpansion } from '../src/store/events.js';
import { baton, batonAsync, tempDir, until } from './helpers.js';

/**
 * A run with a 100,000-item loop stays a good citizen while it goes: its heartbeat keeps
 * moving (another host would otherwise take it for dead after 30 s), and Ctrl-C or
 * `baton cancel` end it within seconds, even while the loop is expanding. Bounds are
 * generous (the machine may be busy); before the fix neither happened until the run ended.
 */
const ITEMS = 100_000;

function project(parallel: boolean, size = ITEMS, task: unknown = { type: 'noop' }, after: unknown[] = []) {
  const dir = tempDir('baton-large-loop-');
  const items = Array.from({ length: size }, (_, i) => `host-${i}`);
  const tasks = [{ id: 'each', type: 'loop', parallel, items, task }, ...after];
  writeFileSync(path.join(dir, 'flow.json'), JSON.stringify({ name: 'large-loop', tasks }));
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
  /** One query on the store, read-only. */
  const query = <T>(sql: string): T | undefined => {
    const file = path.join(home, 'baton.db');
    if (!existsSync(file)) return undefined;
    const conn = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return conn.prepare(sql).get() as T;
    } catch {
      return undefined;
    } finally {
      conn.close();
    }
  };
  return { dir, env, home, row, query, close: () => db?.close() };
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

  it('is recorded as its items, not as a copy of the task per iteration, and resumes after a SIGKILL while it expands', async () => {
    // A task template of some size: the old form copied it into every iteration (10k: ~5 MB).
    const task = { type: 'noop', name: 'n'.repeat(200), retry: { attempts: 2 }, timeout: '5m' };
    // The run is still going when it is killed, however soon after the expansion that is.
    const p = project(true, 10_000, task, [{ id: 'last', command: 'sleep 2', depends_on: ['each'] }]);
    const run = batonAsync(['run', 'flow.json', '--view', 'none', '--concurrency', '2'], { cwd: p.dir, env: p.env });
    try {
      const expansion = () => p.query<{ bytes: number }>("SELECT length(data) AS bytes FROM events WHERE type = 'TaskExpanded'");
      await until(() => expansion() !== undefined, 60_000, 'the loop to expand');
      run.child.kill('SIGKILL');
      await run.done;
      // 10,000 items of ~10 characters: ~150 KB; one copy of the template per item was ~5 MB.
      expect(expansion()!.bytes).toBeLessThan(400_000);
      const id = p.row()!.id;
      // Its task rows came with it, in the same transaction.
      expect(p.query<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE run_id = '${id}'`)?.n).toBe(10_002);
      const resumed = baton(['resume', id, '--view', 'none'], { cwd: p.dir, env: p.env });
      expect(resumed.status, resumed.stderr).toBe(0);
      const status = JSON.parse(baton(['status', id, '--json'], { cwd: p.dir, env: p.env }).stdout);
      expect(status.status).toBe('succeeded');
      expect(status.counts.succeeded).toBe(10_002);
      expect(status.tasks[10_000]).toMatchObject({ id: 'each[host-9999]', parent: 'each', type: 'noop', status: 'succeeded' });
    } finally {
      run.child.kill('SIGKILL');
      p.close();
    }
  }, 120_000);

  it('recorded by an older baton (every iteration with its spec) still shows, resumes and exports', async () => {
    const p = project(false, 20, { type: 'shell', command: 'sleep 0.3' });
    const run = batonAsync(['run', 'flow.json', '--view', 'none'], { cwd: p.dir, env: p.env });
    try {
      const done = () => p.query<{ n: number }>("SELECT count(*) AS n FROM events WHERE type = 'TaskSucceeded'")?.n ?? 0;
      await until(() => done() >= 3, 60_000, 'a few iterations to end');
      run.child.kill('SIGKILL');
      await run.done;
      // Write the expansion back as the older form, made by the same expandLoop.
      const db = new Database(path.join(p.home, 'baton.db'));
      const row = db.prepare("SELECT seq, data FROM events WHERE type = 'TaskExpanded'").get() as { seq: number; data: string };
      const event = JSON.parse(row.data) as LoopExpansion & { task: string; type: string; at: number };
      const created = JSON.parse(db.prepare("SELECT data FROM events WHERE type = 'RunCreated'").pluck().get() as string);
      const loop = created.workflow.tasks[0] as { task: TaskSpec };
      const legacy = { type: event.type, task: event.task, children: expandLoop(event.task, loop.task, event), at: event.at };
      db.prepare('UPDATE events SET data = ? WHERE seq = ?').run(JSON.stringify(legacy), row.seq);
      db.close();
      const id = p.row()!.id;
      const before = JSON.parse(baton(['status', id, '--json'], { cwd: p.dir, env: p.env }).stdout);
      expect(before.tasks.map((t: { id: string }) => t.id)).toHaveLength(21);
      expect(before.tasks[1]).toMatchObject({ id: 'each[host-0]', parent: 'each', type: 'shell', status: 'succeeded' });
      const resumed = baton(['resume', id, '--view', 'none'], { cwd: p.dir, env: p.env });
      expect(resumed.status, resumed.stderr + resumed.stdout).toBe(0);
      const after = JSON.parse(baton(['status', id, '--json'], { cwd: p.dir, env: p.env }).stdout);
      expect(after.status).toBe('succeeded');
      expect(after.counts.succeeded).toBe(21);
      const exported = baton(['export', id], { cwd: p.dir, env: p.env });
      expect(exported.status).toBe(0);
      const other = path.join(p.dir, 'other.db');
      const imported = baton(['import', '-', '--store', other], { cwd: p.dir, env: p.env, input: exported.stdout });
      expect(imported.status, imported.stderr).toBe(0);
      expect(JSON.parse(baton(['status', id, '--json', '--store', other], { cwd: p.dir }).stdout).counts.succeeded).toBe(21);
    } finally {
      run.child.kill('SIGKILL');
      p.close();
    }
  }, 120_000);
});
