import { describe, expect, test } from 'vitest';
import { AttemptLog } from './attempts.js';
import { runCriticalPath, span, timelineRows, visibleRows, xOf } from './timeline.js';
import type { TaskJson } from './types.js';

const iso = (ms: number) => new Date(Date.parse('2026-12-01T10:00:00Z') + ms).toISOString();
const task = (id: string, start: number, end: number, fields: Partial<TaskJson> = {}): TaskJson => ({ id, status: 'succeeded', attempts: 1, started_at: iso(start), ended_at: iso(end), ...fields });

describe('runCriticalPath', () => {
  test('from the task that ended last, back through the dependency that ended last', () => {
    const tasks = [
      task('build', 0, 100),
      task('lint', 100, 150, { depends_on: ['build'] }),
      task('test', 100, 400, { depends_on: ['build'] }),
      task('ship', 400, 500, { depends_on: ['lint', 'test'] }),
    ];
    expect(runCriticalPath(tasks, { code: false, createdAt: Date.parse(iso(0)) })).toEqual(['build', 'test', 'ship']);
  });

  test('a loop on the way is seen through to its iteration that ended last', () => {
    const tasks = [
      task('envs', 0, 300, { type: 'loop' }),
      task('envs[a]', 0, 100, { parent: 'envs' }),
      task('envs[b]', 100, 300, { parent: 'envs', depends_on: ['envs[a]'] }),
      task('after', 300, 350, { depends_on: ['envs'] }),
    ];
    expect(runCriticalPath(tasks, { code: false, createdAt: Date.parse(iso(0)) })).toEqual(['envs[a]', 'envs[b]', 'after']);
  });
});

describe('rows and scale', () => {
  test('rows carry depth and their attempts', () => {
    const log = new AttemptLog();
    log.apply({ type: 'RunCreated', at: 1000, seq: 1 });
    log.apply({ type: 'TaskStarted', task: 'envs[a]', attempt: 1, at: 1010, seq: 2 });
    const rows = timelineRows([task('envs', 0, 1, { type: 'loop' }), task('envs[a]', 0, 1, { parent: 'envs' })], log);
    expect(rows.map((r) => [r.task.id, r.depth, r.attempts.length])).toEqual([
      ['envs', 0, 0],
      ['envs[a]', 1, 1],
    ]);
    expect(span(log, 5000, true)).toEqual({ start: 1000, end: 5000 });
    expect(span(log, 5000, false)).toEqual({ start: 1000, end: 1010 });
    expect(xOf(1005, { start: 1000, end: 1010 }, 200)).toBe(100);
  });

  test('visibleRows: only the rows in the viewport, plus overscan, for 2,000 rows', () => {
    expect(visibleRows(0, 300, 24, 2000, 0)).toEqual({ from: 0, to: 13 });
    expect(visibleRows(24 * 1000, 240, 24, 2000, 5)).toEqual({ from: 995, to: 1015 });
    expect(visibleRows(24 * 5000, 240, 24, 2000)).toEqual({ from: 4992, to: 4992 });
  });
});
