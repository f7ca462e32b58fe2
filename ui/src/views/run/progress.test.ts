import { describe, expect, test } from 'vitest';
import { progressFraction, runningProgress } from './progress.js';
import type { TaskJson } from './types.js';

const task = (id: string, fields: Partial<TaskJson> = {}): TaskJson => ({ id, status: 'running', attempts: 1, ...fields });

describe('progress', () => {
  test('a fraction from percent, else done of total, kept within 0..1; none without a figure', () => {
    expect(progressFraction({ percent: 40 })).toBe(0.4);
    expect(progressFraction({ done: 3, total: 12 })).toBe(0.25);
    expect(progressFraction({ percent: 140 })).toBe(1);
    expect(progressFraction({ done: 3, total: 0 })).toBeUndefined();
    expect(progressFraction({ message: 'copying' })).toBeUndefined();
    expect(progressFraction(undefined)).toBeUndefined();
  });

  test('only running tasks with a figure are drawn', () => {
    const map = runningProgress([task('a', { progress: { percent: 40 } }), task('b', { status: 'succeeded', progress: { percent: 100 } }), task('c'), task('d', { progress: { done: 1, total: 4, source: 'iterations' } })]);
    expect([...map]).toEqual([
      ['a', 0.4],
      ['d', 0.25],
    ]);
  });
});
