/**
 * Progress on long work, end to end: real `baton run`s over a SQLite file whose tasks
 * report progress (`progress=` lines in $BATON_OUTPUT, ctx.progress, a `baton step`
 * command), checked in the recorded events (few, throttled), the task rows, `baton status`
 * (human and --json), the plain view's lines, and the live view on a real terminal (tmux).
 * Loops show their iterations ended of all with no events of their own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BATON, baton, batonAsync, tempDir, until } from './helpers.js';

interface StoredEvent {
  type: string;
  task?: string;
  attempt?: number;
  percent?: number;
  done?: number;
  total?: number;
  message?: string;
  at: number;
  outputs?: Record<string, unknown>;
}

interface TaskJson {
  id: string;
  status: string;
  outputs?: Record<string, unknown>;
  progress?: { percent?: number; done?: number; total?: number; message?: string; source: string; updated_at?: string; eta_ms?: number };
}

/** A folder with a store of its own, and the commands a test runs against it. */
function project() {
  const dir = tempDir('baton-progress-');
  const store = ['--store', path.join(dir, 'baton.db')];
  const write = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text);
    return name;
  };
  const run = (args: string[]) => baton([...args, ...store], { cwd: dir });
  const start = (args: string[]) => batonAsync([...args, ...store], { cwd: dir });
  const lastRun = (): string | undefined => JSON.parse(run(['history', '--json']).stdout || '[]')[0]?.run_id;
  const events = (id: string): StoredEvent[] => {
    const exported = run(['export', id]);
    expect(exported.status, exported.stderr).toBe(0);
    return exported.stdout.trim().split('\n').slice(1).map((line) => JSON.parse(line) as StoredEvent);
  };
  const status = (id: string) => JSON.parse(run(['status', id, '--json']).stdout) as { status: string; tasks: TaskJson[] };
  return { dir, store, write, run, start, lastRun, events, status };
}

const progressOf = (events: StoredEvent[], task: string) => events.filter((e) => e.type === 'TaskProgress' && e.task === task);

/** A task that reports 10%..100% over about 3 s, 100 with a message, and writes an output too. */
const TEN_STEPS = `name: copy-files
tasks:
  - id: copy
    command: |
      for i in 10 20 30 40 50 60 70 80 90; do
        echo "progress=$i%" >> "$BATON_OUTPUT"
        sleep 0.3
      done
      echo "progress_message=all copied" >> "$BATON_OUTPUT"
      echo "progress=120/120" >> "$BATON_OUTPUT"
      echo "copied=120" >> "$BATON_OUTPUT"
`;

describe('progress of a shell task', () => {
  it('records a few TaskProgress events of many reports, keeps the last on the task row, and baton status shows it while it runs', async () => {
    const p = project();
    p.write('flow.yaml', TEN_STEPS);
    const started = p.start(['run', 'flow.yaml', '--view', 'plain']);
    try {
      let id: string | undefined;
      await until(() => (id = p.lastRun()) !== undefined, 10_000, 'the run to be recorded');
      // While it runs: the status's note and its JSON.
      let shown = '';
      await until(() => /copy\s+running.*\[#+-*\] \d+%/.test((shown = p.run(['status', id!]).stdout)), 10_000, 'status to show the progress');
      expect(shown).toMatch(/copy\s+running\s+1\s+\S+…\s+\[#+-*\] \d+%( ETA \S+)?/);
      const running = p.status(id!).tasks.find((t) => t.id === 'copy')!;
      expect(running.progress).toMatchObject({ source: 'task', percent: expect.any(Number) });
      expect(Date.parse(running.progress!.updated_at!)).toBeGreaterThan(0);

      const result = await started.done;
      expect(result.status, started.output()).toBe(0);
      const events = p.events(id!);
      const reports = progressOf(events, 'copy');
      // Ten reports over ~3 s: at most one a second, plus the last before the end.
      expect(reports.length).toBeGreaterThanOrEqual(2);
      expect(reports.length).toBeLessThanOrEqual(6);
      const percents = reports.map((e) => e.percent!);
      expect([...percents].sort((a, b) => a - b)).toEqual(percents);
      for (let i = 1; i < reports.length - 1; i++) expect(reports[i].at - reports[i - 1].at).toBeGreaterThanOrEqual(990);
      expect(reports.at(-1)).toMatchObject({ attempt: 1, percent: 100, done: 120, total: 120, message: 'all copied' });
      // The last report comes before the end it precedes.
      const order = events.filter((e) => e.task === 'copy').map((e) => e.type);
      expect(order.indexOf('TaskSucceeded')).toBeGreaterThan(order.lastIndexOf('TaskProgress'));
      // Progress lines are not outputs.
      const done = p.status(id!).tasks.find((t) => t.id === 'copy')!;
      expect(done.outputs).toEqual({ copied: '120', stdout: '' });
      expect(done.progress).toMatchObject({ source: 'task', percent: 100, done: 120, total: 120, message: 'all copied' });
      expect(done.progress!.eta_ms).toBeUndefined();
      // The plain view: a line per tenth crossed at most, not one per report.
      const lines = result.stdout.split('\n').filter((line) => / copy \d+(\.\d+)?%/.test(line));
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.length).toBeLessThanOrEqual(reports.length);
      expect(lines.at(-1)).toMatch(/copy 100% 120\/120 all copied$/);
    } finally {
      started.child.kill('SIGKILL');
    }
  });

  it('ignores lines that are not reports, with one warning in the task log, and never fails the task', () => {
    const p = project();
    p.write('flow.yaml', `name: bad-progress
tasks:
  - id: work
    command: |
      echo "progress=abc" >> "$BATON_OUTPUT"
      echo "progress=150" >> "$BATON_OUTPUT"
      echo "progress=7/3" >> "$BATON_OUTPUT"
      echo "progress=40" >> "$BATON_OUTPUT"
      echo "result=ok" >> "$BATON_OUTPUT"
`);
    const result = p.run(['run', 'flow.yaml', '--view', 'plain']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const id = p.lastRun()!;
    const logs = p.run(['logs', id, 'work']).stdout;
    const warnings = logs.split('\n').filter((line) => line.includes('PROGRESS_INVALID'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/progress="abc" is not a percentage \(progress=37, progress=37%\) nor items done of a total \(progress=37\/120\); ignored/);
    expect(progressOf(p.events(id), 'work').map((e) => e.percent)).toEqual([40]);
    expect(p.status(id).tasks[0].outputs).toEqual({ result: 'ok', stdout: '' });
  });
});

describe('progress of a loop', () => {
  it("shows a loop's iterations ended of all, derived from their states, with no events of its own", async () => {
    const p = project();
    const items = Array.from({ length: 24 }, (_, i) => `h${i}`);
    p.write('flow.yaml', `name: each-host
tasks:
  - id: hosts
    type: loop
    items: ${JSON.stringify(items)}
    task:
      id: one
      command: sleep 0.15
`);
    const started = p.start(['run', 'flow.yaml', '--view', 'plain']);
    try {
      let id: string | undefined;
      await until(() => (id = p.lastRun()) !== undefined, 10_000, 'the run to be recorded');
      let loop: TaskJson | undefined;
      await until(() => {
        loop = p.status(id!).tasks.find((t) => t.id === 'hosts');
        return loop?.progress !== undefined && loop.progress.done! > 0 && loop.progress.done! < 24;
      }, 20_000, 'the loop to be part done');
      expect(loop!.progress).toMatchObject({ source: 'iterations', total: 24 });
      expect(loop!.progress!.percent).toBeCloseTo((loop!.progress!.done! / 24) * 100, 0);
      expect(p.run(['status', id!]).stdout).toMatch(/hosts\s+(running|succeeded).*(\d+\/24 iterations|\s)/);
      const result = await started.done;
      expect(result.status, started.output()).toBe(0);
      expect(p.events(id!).filter((e) => e.type === 'TaskProgress')).toEqual([]);
      expect(p.status(id!).tasks.find((t) => t.id === 'hosts')!.progress).toEqual({ source: 'iterations', percent: 100, done: 24, total: 24 });
      // The plain view: the loop's progress at tenths, not once per iteration.
      const lines = result.stdout.split('\n').filter((line) => / hosts \d+(\.\d+)?% \d+\/24 iterations/.test(line));
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.length).toBeLessThanOrEqual(12);
      expect(lines.at(-1)).toMatch(/hosts 100% 24\/24 iterations/);
    } finally {
      started.child.kill('SIGKILL');
    }
  });
});

describe('progress of code', () => {
  it('ctx.progress reports the running step (thousands of calls, a few events), a bad value warns once, and a map shows its steps ended of all', () => {
    const p = project();
    p.write('flow.ts', `import { workflow } from 'baton';

export default workflow({ name: 'crunch' }, async (ctx) => {
  await ctx.step('crunch', async () => {
    for (let i = 1; i <= 5000; i++) {
      ctx.progress({ done: i, total: 5000, message: 'row ' + i });
      if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 400));
    }
    ctx.progress(150);
    ctx.progress('half');
    return 'ok';
  });
  const out = await ctx.map('each', Array.from({ length: 12 }, (_, i) => i), { concurrency: 3 }, async (i) => i * 2);
  return ctx.summary('mapped ' + out.length);
});
`);
    const result = p.run(['run', 'flow.ts', '--view', 'plain']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const id = p.lastRun()!;
    const reports = progressOf(p.events(id), 'crunch');
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.length).toBeLessThanOrEqual(6);
    expect(reports.at(-1)).toMatchObject({ percent: 100, done: 5000, total: 5000, message: 'row 5000' });
    const tasks = p.status(id).tasks;
    expect(tasks.find((t) => t.id === 'crunch')!.progress).toMatchObject({ source: 'task', percent: 100 });
    expect(tasks.find((t) => t.id === 'each')!.progress).toEqual({ source: 'iterations', percent: 100, done: 12, total: 12 });
    const warnings = p.run(['logs', id, 'crunch']).stdout.split('\n').filter((line) => line.includes('PROGRESS_INVALID'));
    expect(warnings).toEqual([expect.stringMatching(/ctx\.progress: progress 150 is not a percentage from 0 to 100; ignored/)]);
  });

  it('a `baton step` command of a script reports progress through its $BATON_OUTPUT', () => {
    const p = project();
    const script = p.write('job.sh', `#!/bin/sh
set -e
baton step fetch -- sh -c 'for i in 1 2 3 4 5 6; do echo "progress=$i/6" >> "$BATON_OUTPUT"; sleep 0.3; done'
echo done
`);
    chmodSync(path.join(p.dir, script), 0o755);
    const result = p.run(['run', script, '--view', 'plain']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const id = p.lastRun()!;
    const reports = progressOf(p.events(id), 'fetch');
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.length).toBeLessThanOrEqual(4);
    expect(reports.at(-1)).toMatchObject({ percent: 100, done: 6, total: 6 });
  });
});

describe('the live view on a terminal', () => {
  const sessions: string[] = [];
  afterEach(() => {
    for (const name of sessions.splice(0)) spawnSync('tmux', ['kill-session', '-t', name]);
  });

  it('draws a bar, the percentage, items done of all and the time left, for a task and for a loop', async () => {
    const p = project();
    const items = Array.from({ length: 40 }, (_, i) => i);
    p.write('flow.yaml', `name: live
tasks:
  - id: copy
    command: for i in $(seq 1 40); do echo "progress=$i/40" >> "$BATON_OUTPUT"; sleep 0.15; done
  - id: each
    type: loop
    items: ${JSON.stringify(items)}
    task:
      id: one
      command: sleep 0.15
`);
    const name = `baton-progress-${process.pid}-${Date.now()}`;
    sessions.push(name);
    const command = [process.execPath, BATON, 'run', 'flow.yaml', ...p.store].map((word) => `'${word}'`).join(' ');
    const started = spawnSync('tmux', ['new-session', '-d', '-s', name, '-x', '120', '-y', '40', '-c', p.dir, `NO_COLOR=1 ${command}; sleep 60`]);
    expect(started.status, String(started.stderr)).toBe(0);
    let screen = '';
    await until(() => {
      screen = spawnSync('tmux', ['capture-pane', '-p', '-t', name], { encoding: 'utf8' }).stdout;
      return /copy .*ETA/.test(screen) && /each .*iterations ETA/.test(screen);
    }, 20_000, 'the live view to show progress');
    expect(screen).toMatch(/running copy \S+\s+\[#*-*\] \d+(\.\d)?% \d+\/40 ETA \S+/);
    expect(screen).toMatch(/running each \S+\s+\[#*-*\] \d+(\.\d)?% \d+\/40 iterations ETA \S+/);
  });
});
