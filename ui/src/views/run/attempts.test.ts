import { describe, expect, test } from 'vitest';
import { AttemptLog } from './attempts.js';
import type { RunEventJson } from './types.js';

let seq = 0;
const ev = (type: string, at: number, fields: Record<string, unknown> = {}): RunEventJson => ({ type, at, seq: ++seq, ...fields });

describe('AttemptLog', () => {
  test('a failed then retried task has two attempts, with the back-off between them as one retry gap', () => {
    const log = new AttemptLog();
    for (const e of [
      ev('RunCreated', 0),
      ev('TaskReady', 1, { task: 'flaky' }),
      ev('TaskStarted', 5, { task: 'flaky', attempt: 1 }),
      ev('TaskFailed', 20, { task: 'flaky', attempt: 1, error: { code: 'EXEC_EXIT_CODE', message: 'command exited with code 1' } }),
      ev('TaskRetryScheduled', 20, { task: 'flaky', attempt: 2, at_due: 120 }),
      ev('TaskReady', 121, { task: 'flaky' }),
      ev('TaskStarted', 125, { task: 'flaky', attempt: 2 }),
      ev('TaskSucceeded', 140, { task: 'flaky', attempt: 2 }),
    ])
      log.apply(e);
    expect(log.attempts.get('flaky')).toEqual([
      { task: 'flaky', attempt: 1, start: 5, end: 20, outcome: 'failed', error: { code: 'EXEC_EXIT_CODE', message: 'command exited with code 1' } },
      { task: 'flaky', attempt: 2, start: 125, end: 140, outcome: 'succeeded' },
    ]);
    expect(log.gaps.get('flaky')).toEqual([
      { task: 'flaky', start: 1, end: 5, kind: 'ready' },
      { task: 'flaky', start: 20, end: 125, kind: 'retry' },
    ]);
    expect(log.createdAt).toBe(0);
    expect(log.lastAt).toBe(140);
    expect(log.order).toEqual(['flaky']);
  });

  test('an attempt still running has no end; a cancel ends it', () => {
    const log = new AttemptLog();
    log.apply(ev('TaskStarted', 10, { task: 'slow', attempt: 1 }));
    expect(log.attempts.get('slow')![0].outcome).toBe('running');
    expect(log.attempts.get('slow')![0].end).toBeUndefined();
    log.apply(ev('TaskCancelled', 30, { task: 'slow' }));
    expect(log.attempts.get('slow')![0]).toMatchObject({ outcome: 'cancelled', end: 30 });
  });
});
