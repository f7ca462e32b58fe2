/**
 * Resource pools across real `baton run` processes sharing one SQLite store: no deadlock
 * when two workflows ask for the same two pools in opposite orders, never more holders
 * than a pool's capacity, a killed holder's pool freed, and `baton status` saying what a
 * waiting task waits for.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';
import { json, killServers, serve, until as untilEvent } from './serve-helpers.js';

/** Processes a test started (a task's own, left behind by a killed `baton run`), stopped after it. */
const leftovers: number[] = [];
afterEach(() => {
  killServers();
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function project(files: Record<string, string>): string {
  const dir = tempDir('baton-pools-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\nresources:\n  a: 1\n  b: 1\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** A task that holds `pools` and prints when it started and ended (ns), to check overlaps. */
const timed = (id: string, pools: string[]) =>
  `  - id: ${id}\n    resources: [${pools.join(', ')}]\n    command: 's=$(date +%s%N); sleep 0.15; echo "$s $(date +%s%N)"'\n`;

const flow = (name: string, first: string, second: string) =>
  `name: ${name}\ntasks:\n  - id: all\n    type: parallel\n    tasks:\n` +
  [timed(`${name}1`, [first, second]), timed(`${name}2`, [first]), timed(`${name}3`, [second, first]), timed(`${name}4`, [second]), timed(`${name}5`, [first, second])]
    .map((task) => task.replace(/^ {2}/gm, '      '))
    .join('');

const RUN_X = '01J0000000000000000000000X';
const RUN_Y = '01J0000000000000000000000Y';

describe('resource pools across processes', () => {
  it('two workflows needing pools a and b in opposite order, run at once, both finish; no pool ever has two holders', async () => {
    const dir = project({ 'x.yaml': flow('x', 'a', 'b'), 'y.yaml': flow('y', 'b', 'a') });
    const x = batonAsync(['run', 'x.yaml', '--json'], { cwd: dir });
    const y = batonAsync(['run', 'y.yaml', '--json'], { cwd: dir });
    const [rx, ry] = await Promise.all([x.done, y.done]);
    expect(rx.status, rx.stderr).toBe(0);
    expect(ry.status, ry.stderr).toBe(0);
    const spans: Array<{ pools: string[]; from: bigint; to: bigint }> = [];
    for (const [result, text] of [[rx, flow('x', 'a', 'b')], [ry, flow('y', 'b', 'a')]] as const) {
      const summary = JSON.parse(result.stdout) as { tasks: Array<{ id: string; outputs?: { stdout?: string } }> };
      for (const task of summary.tasks.filter((t) => t.id !== 'all')) {
        const [from, to] = task.outputs!.stdout!.trim().split(' ').map(BigInt);
        const pools = new RegExp(`id: ${task.id}\\n\\s+resources: \\[([^\\]]*)\\]`).exec(text)![1].split(', ');
        spans.push({ pools, from, to });
      }
    }
    expect(spans).toHaveLength(10);
    for (const pool of ['a', 'b']) {
      const held = spans.filter((s) => s.pools.includes(pool)).sort((p, q) => (p.from < q.from ? -1 : 1));
      for (let i = 1; i < held.length; i++) expect(held[i].from >= held[i - 1].to, `pool ${pool}: two holders at once`).toBe(true);
    }
  });

  it("frees the pool of a `baton run` killed while its task held it: the next run takes it", async () => {
    const dir = project({
      'hold.yaml': 'name: hold\ntasks:\n  - id: hold\n    resources: [a]\n    command: echo $$ > hold.pid; exec sleep 30\n',
      'next.yaml': 'name: next\ntasks:\n  - id: next\n    resources: [a]\n    command: echo got it\n',
    });
    const holder = batonAsync(['run', 'hold.yaml', '--run-id', RUN_X], { cwd: dir });
    await until(() => {
      try {
        return readFileSync(path.join(dir, 'hold.pid'), 'utf8').trim() !== '';
      } catch {
        return false;
      }
    }, 15_000, 'the holding task to start');
    leftovers.push(Number(readFileSync(path.join(dir, 'hold.pid'), 'utf8')));
    holder.child.kill('SIGKILL');
    await holder.done;
    const next = baton(['run', 'next.yaml', '--json'], { cwd: dir });
    expect(next.status, next.stderr).toBe(0);
    expect(JSON.parse(next.stdout).tasks[0].outputs.stdout).toBe('got it');
    expect(baton(['status', RUN_X, '--json'], { cwd: dir }).stdout).toContain('"status": "interrupted"');
  });

  it('`baton status` says which pool a task waits for and which run and task hold it, until it gets it', async () => {
    const dir = project({
      'hold.yaml': 'name: hold\ntasks:\n  - id: migrate\n    resources: [a]\n    command: while [ ! -f go ]; do sleep 0.05; done\n',
      'wait.yaml': 'name: wait\ntasks:\n  - id: seed\n    resources: [a, b]\n    command: echo seeded\n',
    });
    const holder = batonAsync(['run', 'hold.yaml', '--run-id', RUN_X], { cwd: dir });
    await until(() => baton(['status', RUN_X, '--json'], { cwd: dir }).stdout.includes('"status": "running",\n      "attempts": 1'), 15_000, 'the holder to run');
    const waiter = batonAsync(['run', 'wait.yaml', '--run-id', RUN_Y], { cwd: dir });
    let shown = '';
    await until(() => (shown = baton(['status', RUN_Y], { cwd: dir }).stdout).includes('waits for pool'), 15_000, 'the wait to show');
    expect(shown).toMatch(/seed\s+ready\s+-\s+-\s+waits for pool a \(1\/1: run 01J0000000 task migrate\)/);
    const view = JSON.parse(baton(['status', RUN_Y, '--json'], { cwd: dir }).stdout) as { tasks: Array<{ waiting_for?: { kind: string; pools: Array<{ pool: string; held_by: Array<{ run: string; task: string }> }> } }> };
    expect(view.tasks[0].waiting_for).toMatchObject({ kind: 'resource', pools: [{ pool: 'a', held_by: [{ run: RUN_X, task: 'migrate' }] }] });
    writeFileSync(path.join(dir, 'go'), '');
    const [rh, rw] = await Promise.all([holder.done, waiter.done]);
    expect(rh.status, rh.stderr).toBe(0);
    expect(rw.status, rw.stderr).toBe(0);
    // The run's progress said so as it waited.
    expect(rw.stdout + rw.stderr).toContain(`seed waits for pool a (1/1: run ${RUN_X} task migrate)`);
    expect(baton(['status', RUN_Y, '--json'], { cwd: dir }).stdout).not.toContain('waiting_for');
  });

  it('baton serve: a run waits for the pool another holds, the API says why, and it starts once the pool is freed', async () => {
    const dir = project({
      'hold.yaml': 'name: hold\ntasks:\n  - id: migrate\n    resources: [a]\n    command: while [ ! -f go ]; do sleep 0.05; done\n',
      'wait.yaml': 'name: wait\ntasks:\n  - id: seed\n    resources: {a: 1}\n    command: echo seeded\n',
    });
    const server = await serve(dir);
    const start = async (name: string) => (await json(await fetch(`${server.base}/api/workflows/${name}/runs`, { method: 'POST' }))).body.run_id as string;
    const held = await start('hold');
    await untilEvent(`${server.base}/api/runs/${held}/events`, 'TaskStarted');
    const waiting = await start('wait');
    await untilEvent(`${server.base}/api/runs/${waiting}/events`, 'TaskAwaitingResources');
    const view = (await json(await fetch(`${server.base}/api/runs/${waiting}`))).body as { tasks: Array<{ status: string; waiting_for?: unknown }> };
    expect(view.tasks[0]).toMatchObject({ status: 'ready', waiting_for: { kind: 'resource', pools: [{ pool: 'a', capacity: 1, in_use: 1, held_by: [{ run: held, task: 'migrate' }] }] } });
    writeFileSync(path.join(dir, 'go'), '');
    for (const id of [held, waiting]) {
      await untilEvent(`${server.base}/api/runs/${id}/events`, 'RunSucceeded');
    }
  });
});
