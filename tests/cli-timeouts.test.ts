/**
 * The three time limits of a task (docs/engine.md#time-limits-and-cancellation), through
 * real `baton run` processes: `timeout` (start to close, per attempt), `schedule_timeout`
 * (from first ready to the end: slot waits, attempts and retry delays included) and
 * `heartbeat_timeout` (an attempt that prints nothing for that long is taken for hung).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';

interface TaskView {
  id: string;
  status: string;
  attempts: number;
  error?: { code: string; message: string; not_retried?: string };
}

function run(yaml: string) {
  const dir = tempDir('baton-timeouts-');
  const file = path.join(dir, 'flow.yaml');
  writeFileSync(file, yaml);
  const result = baton(['run', file, '--json', '--store', path.join(dir, 'baton.db')], { cwd: dir });
  const tasks = result.stdout ? ((JSON.parse(result.stdout) as { tasks: TaskView[] }).tasks ?? []) : [];
  return { result, task: (id: string) => tasks.find((t) => t.id === id)!, dir, file };
}

describe('time limits', () => {
  it('heartbeat_timeout: a silent attempt is stopped and retried; one that keeps printing runs past it', () => {
    const { result, task } = run(`name: beats
tasks:
  - id: silent
    command: sleep 20
    heartbeat_timeout: 500ms
    retry: {attempts: 2, delay: 10ms}
  - id: chatty
    command: for i in 1 2 3 4 5 6; do echo "still working $i"; sleep 0.25; done
    heartbeat_timeout: 1s
`);
    expect(result.status).toBe(1);
    expect(task('silent')).toMatchObject({ status: 'failed', attempts: 2 });
    expect(task('silent').error).toMatchObject({ code: 'EXEC_HEARTBEAT_TIMEOUT', not_retried: 'attempts exhausted (2 of 2)' });
    expect(task('silent').error!.message).toContain('printed nothing for 500ms');
    expect(task('chatty').status).toBe('succeeded');
  }, 30_000);

  it('schedule_timeout counts the wait for a slot: a task that never got one fails without running', () => {
    const { result, task } = run(`name: queued
concurrency: 1
tasks:
  - id: hog
    command: sleep 2
  - id: impatient
    command: echo never
    schedule_timeout: 700ms
`);
    expect(result.status).toBe(1);
    expect(task('hog').status).toBe('succeeded');
    expect(task('impatient')).toMatchObject({ status: 'failed', attempts: 0 });
    expect(task('impatient').error!.code).toBe('EXEC_DEADLINE');
    expect(task('impatient').error!.message).toContain('schedule_timeout of 700ms');
  }, 30_000);

  it('schedule_timeout stops a running attempt and ends retries: not retried, whatever attempts allows', () => {
    const { result, task } = run(`name: late
tasks:
  - id: slow
    command: sleep 20
    timeout: 30s
    schedule_timeout: 800ms
    retry: {attempts: 5, delay: 10ms}
  - id: flaky
    command: exit 1
    schedule_timeout: 1s
    retry: {attempts: 50, delay: 300ms, backoff: fixed, jitter: 0}
`);
    expect(result.status).toBe(1);
    expect(task('slow')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(task('slow').error).toMatchObject({ code: 'EXEC_DEADLINE' });
    expect(task('flaky').status).toBe('failed');
    expect(task('flaky').error!.code).toBe('EXEC_DEADLINE');
    expect(task('flaky').attempts).toBeLessThan(50);
  }, 30_000);

  it('a zero limit, or one on a composite, is a validation error at its line', () => {
    const dir = tempDir('baton-timeouts-');
    const file = path.join(dir, 'flow.yaml');
    writeFileSync(file, `name: wrong\ntasks:\n  - id: a\n    command: 'true'\n    heartbeat_timeout: 0\n  - id: b\n    type: parallel\n    schedule_timeout: 1m\n    tasks: [{id: c, command: 'true'}]\n`);
    const result = baton(['validate', file], { cwd: dir });
    expect(result.status).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toMatch(/flow\.yaml:5:\d+: error SPEC_INVALID_VALUE: a heartbeat_timeout must be more than 0/);
    expect(out).toMatch(/flow\.yaml:8:\d+: error SPEC_FIELD_NOT_ALLOWED: schedule_timeout applies to tasks that run/);
  });
});
