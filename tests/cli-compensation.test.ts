/**
 * Compensation (sagas, docs/engine.md#compensation) end to end: real `baton run` processes
 * over a SQLite store. Each compensation appends a line to `undo.log` beside the workflow,
 * so what was undone, in which order and how many times, is read from the file.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

function project(yaml: string) {
  const dir = tempDir('baton-saga-');
  const file = path.join(dir, 'saga.yaml');
  writeFileSync(file, yaml);
  const store = ['--store', path.join(dir, 'baton.db')];
  const undone = () => (existsSync(path.join(dir, 'undo.log')) ? readFileSync(path.join(dir, 'undo.log'), 'utf8').trim().split('\n') : []);
  const status = (runId: string) => JSON.parse(baton(['status', runId, '--json', ...store], { cwd: dir }).stdout) as { status: string; compensation?: { status: string; tasks: string[]; failed?: string }; tasks: Array<{ id: string; status: string; attempts: number }> };
  const lastRun = () => (JSON.parse(baton(['history', '--json', ...store], { cwd: dir }).stdout) as Array<{ run_id: string }>)[0].run_id;
  return { dir, file, store, undone, status, lastRun };
}

/** Five steps, each with a compensation that logs what it undoes; `failAt` fails. `slowUndo`: the compensation of that step takes a while. */
function saga(failAt: string, options: { slowUndo?: string; badUndo?: string } = {}): string {
  const steps = ['book', 'reserve', 'charge', 'ship', 'notify'];
  const lines = ['name: order', 'tasks:'];
  steps.forEach((step, i) => {
    lines.push(`  - id: ${step}`);
    if (i > 0) lines.push(`    depends_on: [${steps[i - 1]}]`);
    lines.push(step === failAt ? '    command: exit 1' : `    command: echo "ref=${step}-1" >> $BATON_OUTPUT`);
    const slow = options.slowUndo === step ? 'touch undo-started; sleep 2; ' : '';
    const bad = options.badUndo === step ? 'exit 3; ' : '';
    lines.push(`    compensate:`, `      command: '${slow}${bad}echo "undo \${{ trigger.outputs.ref }}" >> undo.log'`);
    lines.push(`      retry: {attempts: 2, delay: 10ms}`);
  });
  return `${lines.join('\n')}\n`;
}

describe('compensation', () => {
  it('a failure in a five-step saga undoes the steps that succeeded, the last first, each once; the run still fails', () => {
    const p = project(saga('ship'));
    const run = baton(['run', p.file, ...p.store], { cwd: p.dir });
    expect(run.status, run.stderr).toBe(1);
    expect(p.undone()).toEqual(['undo charge-1', 'undo reserve-1', 'undo book-1']);
    expect(run.stdout).toContain('compensated: undid charge, reserve, book');
    const view = p.status(p.lastRun());
    expect(view.status).toBe('failed');
    expect(view.compensation).toEqual({ status: 'compensated', tasks: ['charge', 'reserve', 'book'] });
    expect(view.tasks.filter((t) => t.id.startsWith('compensate[')).map((t) => [t.id, t.status])).toEqual([
      ['compensate[charge]', 'succeeded'],
      ['compensate[reserve]', 'succeeded'],
      ['compensate[book]', 'succeeded'],
    ]);
    // A compensated run cannot be retried: what it built on is gone.
    const retry = baton(['retry', p.lastRun(), ...p.store], { cwd: p.dir });
    expect(retry.status).not.toBe(0);
    expect(retry.stderr).toContain('RUN_COMPENSATED');
  });

  it('killed while compensating and resumed: every compensation still runs exactly once, in order', async () => {
    const p = project(saga('notify', { slowUndo: 'reserve' }));
    const started = batonAsync(['run', p.file, ...p.store], { cwd: p.dir });
    await until(() => existsSync(path.join(p.dir, 'undo-started')), 20_000, 'the compensation of reserve to start');
    started.child.kill('SIGKILL');
    await started.done;
    expect(p.undone()).toEqual(['undo ship-1', 'undo charge-1']);
    const resumed = baton(['resume', p.lastRun(), ...p.store], { cwd: p.dir });
    expect(resumed.status, resumed.stderr).toBe(1);
    expect(p.undone()).toEqual(['undo ship-1', 'undo charge-1', 'undo reserve-1', 'undo book-1']);
    expect(p.status(p.lastRun()).compensation).toEqual({ status: 'compensated', tasks: ['ship', 'charge', 'reserve', 'book'] });
  }, 60_000);

  it('a compensation that fails after its retries stops the rest, and the run says which', () => {
    const p = project(saga('ship', { badUndo: 'reserve' }));
    const run = baton(['run', p.file, ...p.store], { cwd: p.dir });
    expect(run.status).toBe(1);
    expect(p.undone()).toEqual(['undo charge-1']);
    const view = p.status(p.lastRun());
    expect(view.compensation).toEqual({ status: 'compensation_failed', tasks: ['charge', 'reserve', 'book'], failed: 'reserve' });
    expect(view.tasks.find((t) => t.id === 'compensate[reserve]')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(view.tasks.find((t) => t.id === 'compensate[book]')!.status).toBe('skipped');
    expect(run.stdout).toContain('compensation failed: compensate[reserve] did not succeed (after undoing charge); not undone: reserve, book');
  });

  it('baton cancel --compensate undoes what succeeded, whether a live process drives the run or nobody does', async () => {
    const yaml = `name: long
tasks:
  - id: book
    command: echo "ref=b1" >> $BATON_OUTPUT
    compensate:
      command: echo "undo \${{ trigger.outputs.ref }}" >> undo.log
  - id: wait
    depends_on: [book]
    command: touch waiting; sleep 30
`;
    // Driven by a live process: it is asked, and compensates before it ends.
    const live = project(yaml);
    const started = batonAsync(['run', live.file, ...live.store], { cwd: live.dir });
    await until(() => existsSync(path.join(live.dir, 'waiting')), 20_000, 'the long task to start');
    const cancel = baton(['cancel', live.lastRun(), '--compensate', ...live.store], { cwd: live.dir });
    expect(cancel.status, cancel.stderr).toBe(0);
    expect((await started.done).status).toBe(130);
    expect(live.undone()).toEqual(['undo b1']);
    expect(live.status(live.lastRun())).toMatchObject({ status: 'cancelled', compensation: { status: 'compensated', tasks: ['book'] } });
    // Nobody drives it (its process was killed): the cancel compensates here.
    const orphan = project(yaml);
    const killed = batonAsync(['run', orphan.file, ...orphan.store], { cwd: orphan.dir });
    await until(() => existsSync(path.join(orphan.dir, 'waiting')), 20_000, 'the long task to start');
    killed.child.kill('SIGKILL');
    await killed.done;
    const here = baton(['cancel', orphan.lastRun(), '--compensate', ...orphan.store], { cwd: orphan.dir });
    expect(here.status, here.stderr).toBe(0);
    expect(orphan.undone()).toEqual(['undo b1']);
    expect(orphan.status(orphan.lastRun()).compensation).toEqual({ status: 'compensated', tasks: ['book'] });
    // A plain cancel undoes nothing.
    const plain = project(yaml);
    const running = batonAsync(['run', plain.file, ...plain.store], { cwd: plain.dir });
    await until(() => existsSync(path.join(plain.dir, 'waiting')), 20_000, 'the long task to start');
    expect(baton(['cancel', plain.lastRun(), ...plain.store], { cwd: plain.dir }).status).toBe(0);
    await running.done;
    expect(plain.undone()).toEqual([]);
  }, 90_000);

  it('a run that succeeds undoes nothing; a named compensation never runs on its own', () => {
    const p = project(`name: fine
tasks:
  - id: create
    command: echo "ref=x1" >> $BATON_OUTPUT
    compensate: delete
  - id: delete
    command: echo "undo \${{ trigger.outputs.ref }}" >> undo.log
`);
    const run = baton(['run', p.file, '--json', ...p.store], { cwd: p.dir });
    expect(run.status, run.stderr).toBe(0);
    expect(p.undone()).toEqual([]);
    expect(p.status(p.lastRun()).tasks.map((t) => t.id)).toEqual(['create']);
  });

  it('mistakes are validation errors at their line', () => {
    const p = project(`name: wrong
tasks:
  - id: a
    command: 'true'
    compensate: nowhere
  - id: b
    type: parallel
    tasks: [{id: c, command: 'true'}]
    compensate: {command: 'true'}
`);
    const result = baton(['validate', p.file], { cwd: p.dir });
    expect(result.status).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toMatch(/saga\.yaml:5:\d+: error SPEC_UNKNOWN_TASK: compensate names 'nowhere'/);
    expect(out).toMatch(/saga\.yaml:9:\d+: error SPEC_COMPENSATE_ON_COMPOSITE: a parallel task cannot have a compensation/);
  });
});
