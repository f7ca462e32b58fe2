import { describe, expect, it } from 'vitest';
import type { NoopTask, SleepTask } from '../spec/model.js';
import { TASK_TYPES } from '../spec/schema.js';
import { ExecutorError, isRetryable, toTaskError } from './errors.js';
import { createExecutors, executorFor, executors } from './registry.js';
import { rejection, testIO } from './test-support.js';
import { taskDefaults } from '../spec/task-defaults.js';

const base = {
  explicit_id: true,
  ...taskDefaults(),
};
const noopTask: NoopTask = { ...base, id: 'n', type: 'noop' };
const sleepTask = (duration: number): SleepTask => ({ ...base, id: 's', type: 'sleep', duration });
const never = new AbortController().signal;

describe('registry', () => {
  it('maps every leaf task type to its executor', () => {
    // Composites and waits (approval, wait: engine/waits.ts) are the engine's, with no executor.
    const engines = ['parallel', 'loop', 'conditional', 'approval', 'wait'];
    expect(Object.keys(executors).sort()).toEqual(TASK_TYPES.filter((type) => !engines.includes(type)).sort());
    expect(executorFor('shell')).toBe(executors.shell);
    expect(Object.keys(createExecutors({ killGraceMs: 1 }))).toEqual(Object.keys(executors));
  });

  it('refuses unknown types with EXEC_UNKNOWN_TYPE', () => {
    expect(() => executorFor('parallel')).toThrow(/no executor for task type "parallel"; known: shell, http/);
    expect(() => executorFor('toString')).toThrow(ExecutorError);
  });
});

describe('noop executor', () => {
  it('succeeds at once with no outputs, reusing one frozen result', async () => {
    const io = testIO();
    const first = executors.noop.run(noopTask, io, never);
    expect(executors.noop.run(noopTask, io, never)).toBe(first);
    const result = await first;
    expect(result).toEqual({ outputs: {} });
    expect(Object.isFrozen(result) && Object.isFrozen(result.outputs)).toBe(true);
  });
});

describe('sleep executor', () => {
  it('waits the duration', async () => {
    const t0 = Date.now();
    await expect(executors.sleep.run(sleepTask(80), testIO(), never)).resolves.toEqual({ outputs: {} });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
  });

  it('stops on abort with EXEC_ABORTED, the reason as cause', async () => {
    const controller = new AbortController();
    const t0 = Date.now();
    setTimeout(() => controller.abort('cancelled by user'), 30);
    const err = await rejection(executors.sleep.run(sleepTask(60_000), testIO(), controller.signal));
    expect(err).toMatchObject({ code: 'EXEC_ABORTED', cause: 'cancelled by user', message: 'sleep was stopped: cancelled by user' });
    expect(Date.now() - t0).toBeLessThan(1_000);
    const already = new AbortController();
    already.abort();
    await expect(executors.sleep.run(sleepTask(60_000), testIO(), already.signal)).rejects.toMatchObject({ code: 'EXEC_ABORTED' });
  });
});

describe('toTaskError', () => {
  it('keeps the code, message, exit code and stderr tail of executor errors', () => {
    const err = new ExecutorError('EXEC_EXIT_CODE', 'command exited with code 2', { retryable: true, exit_code: 2, stderr_tail: 'boom' });
    expect(toTaskError(err)).toEqual({ code: 'EXEC_EXIT_CODE', message: 'command exited with code 2', exit_code: 2, stderr_tail: 'boom' });
    expect(isRetryable(err)).toBe(true);
  });

  it('turns anything else into UNKNOWN, never retryable', () => {
    expect(toTaskError(new TypeError('x is undefined'))).toEqual({ code: 'UNKNOWN', message: 'x is undefined' });
    expect(toTaskError('plain')).toEqual({ code: 'UNKNOWN', message: 'plain' });
    expect(isRetryable(new Error('bug'))).toBe(false);
  });
});
