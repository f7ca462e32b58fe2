/**
 * `fallback:` end to end (docs/workflow-format.md#fallback): real `baton run` processes
 * over a SQLite store. A fallback runs as its task's next attempt once the task's own
 * attempts have failed; its success is the task's, with its outputs.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

interface TaskView {
  id: string;
  status: string;
  attempts: number;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string; not_retried?: string };
  fallback_from?: number;
}

function project(yaml: string) {
  const dir = tempDir('baton-fallback-');
  const file = path.join(dir, 'flow.yaml');
  writeFileSync(file, yaml);
  const store = ['--store', path.join(dir, 'baton.db')];
  const tasks = (runId: string): TaskView[] => (JSON.parse(baton(['status', runId, '--json', ...store], { cwd: dir }).stdout) as { tasks: TaskView[] }).tasks;
  const events = (runId: string) =>
    baton(['export', runId, ...store], { cwd: dir })
      .stdout.trim()
      .split('\n')
      .slice(1)
      .map((line) => JSON.parse(line) as { type: string; task?: string; attempt?: number; fallback?: boolean });
  return { dir, file, store, tasks, events };
}

describe('fallback', () => {
  it('an inline fallback runs after the retries, and its outputs are the task’s for what depends on it', () => {
    const p = project(`name: fb
tasks:
  - id: fetch
    command: exit 3
    retry: {attempts: 2, delay: 10ms}
    fallback:
      command: echo "source=cache" >> $BATON_OUTPUT
  - id: use
    depends_on: [fetch]
    command: echo "got=\${{ tasks.fetch.outputs.source }}" >> $BATON_OUTPUT
`);
    const run = baton(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    expect(run.status, run.stderr).toBe(0);
    const runId = JSON.parse(run.stdout).run_id as string;
    const [fetch, use] = p.tasks(runId);
    expect(fetch).toMatchObject({ status: 'succeeded', attempts: 3, fallback_from: 3, outputs: { source: 'cache' } });
    expect(use.outputs).toMatchObject({ got: 'cache' });
    const scheduled = p.events(runId).filter((e) => e.type === 'TaskRetryScheduled');
    expect(scheduled.map((e) => [e.attempt, e.fallback ?? false])).toEqual([
      [2, false],
      [3, true],
    ]);
    // The terminal says so.
    const human = baton(['status', runId, ...p.store], { cwd: p.dir });
    expect(human.stdout).toContain('by its fallback (attempt 3)');
  });

  it('a task named as a fallback never runs on its own; a fallback that fails fails the task, after its own retries', () => {
    const p = project(`name: named
tasks:
  - id: primary
    command: exit 1
    fallback: backup
  - id: backup
    command: echo tried >> backup-ran; exit 7
    retry: {attempts: 2, delay: 10ms}
  - id: after
    depends_on: [primary]
    command: 'true'
`);
    const run = baton(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    expect(run.status).toBe(1);
    const tasks = p.tasks(JSON.parse(run.stdout).run_id as string);
    expect(tasks.map((t) => t.id)).toEqual(['primary', 'after']);
    const [primary, after] = tasks;
    // Attempt 1 its own, 2 and 3 the fallback's (its retry policy).
    expect(primary).toMatchObject({ status: 'failed', attempts: 3, fallback_from: 2 });
    expect(primary.error).toMatchObject({ code: 'EXEC_EXIT_CODE', not_retried: 'attempts exhausted (2 of 2)' });
    expect(after.status).toBe('skipped');
  });

  it('killed while its fallback runs, a resumed run goes on with the fallback, not the task', async () => {
    const p = project(`name: resumed
tasks:
  - id: t
    command: echo own >> own-ran; exit 1
    fallback:
      command: 'echo started >> fb-started; sleep 2; echo "by=fallback" >> $BATON_OUTPUT'
`);
    const started = batonAsync(['run', p.file, ...p.store], { cwd: p.dir });
    await until(() => existsSync(path.join(p.dir, 'fb-started')), 15_000, 'the fallback to start');
    started.child.kill('SIGKILL');
    await started.done;
    const runId = (JSON.parse(baton(['history', '--json', ...p.store], { cwd: p.dir }).stdout) as Array<{ run_id: string }>)[0].run_id;
    const resumed = baton(['resume', runId, '--json', ...p.store], { cwd: p.dir });
    expect(resumed.status, resumed.stderr).toBe(0);
    const [t] = p.tasks(runId);
    expect(t).toMatchObject({ status: 'succeeded', fallback_from: 2, outputs: { by: 'fallback' } });
    // Attempt 1 the task's own; 2 the fallback, killed; 3 the fallback again.
    const own = p.events(runId).filter((e) => e.type === 'TaskStarted').map((e) => e.attempt);
    expect(own).toEqual([1, 2, 3]);
  }, 40_000);

  it('mistakes are validation errors at their line', () => {
    const p = project(`name: wrong
tasks:
  - id: group
    type: parallel
    tasks: [{id: a, command: 'true'}]
    fallback: spare
  - id: spare
    command: 'true'
  - id: b
    command: 'false'
    fallback: spare2
  - id: spare2
    command: 'true'
  - id: c
    depends_on: [spare2]
    command: 'true'
  - id: d
    command: 'false'
    fallback: nowhere
`);
    const result = baton(['validate', p.file], { cwd: p.dir });
    expect(result.status).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toMatch(/flow\.yaml:6:\d+: error SPEC_FALLBACK_ON_COMPOSITE: a parallel task cannot have a fallback/);
    expect(out).toMatch(/flow\.yaml:11:\d+: error SPEC_FALLBACK_REFERENCED: 'spare2' is a fallback of 'b'.*'c' names it in depends_on/);
    expect(out).toMatch(/flow\.yaml:19:\d+: error SPEC_UNKNOWN_TASK: fallback names 'nowhere'/);
  });
});
