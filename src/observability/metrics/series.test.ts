import { describe, expect, it } from 'vitest';
import type { StatsRun, StatsTask } from '../../store/run-stats.js';
import { foldMetrics } from './fold.js';
import { bucketCount, foldSeries, MAX_TASK_SERIES } from './series.js';

const HOUR = 3_600_000;
/** A whole UTC hour, so bucket starts are easy to read. */
const H0 = Date.UTC(2026, 10, 30, 10);

const run = (id: string, workflow: string, status: StatsRun['status'], at: number, active?: number): StatsRun => ({
  id,
  workflow,
  status,
  created_at: H0 + at,
  ...(active === undefined ? {} : { ended_at: H0 + at + active + 5, active_ms: active }),
});

const task = (run_id: string, key: string, status: StatsTask['status'], start?: number, end?: number): StatsTask => ({
  run_id,
  key,
  status,
  attempt: start === undefined ? 0 : 1,
  ...(start === undefined ? {} : { first_started_at: H0 + start }),
  ...(end === undefined ? {} : { ended_at: H0 + end }),
});

describe('the metrics series', () => {
  it('counts runs into hour buckets aligned to the hour, empty hours included', () => {
    const window = { since: H0 - 30 * 60_000, until: H0 + 2 * HOUR + 1, bucketMs: HOUR };
    expect(bucketCount(window)).toBe(4);
    const rows = {
      runs: [run('A', 'deploy', 'succeeded', 0, 1000), run('B', 'deploy', 'failed', 10, 3000), run('C', 'deploy', 'running', 2 * HOUR), run('D', 'deploy', 'cancelled', 2 * HOUR + 1, 50)],
      tasks: [],
    };
    const series = foldSeries(rows, window);
    expect(series.buckets.map((b) => b.start)).toEqual([0, 1, 2, 3].map((i) => new Date(H0 + (i - 1) * HOUR).toISOString()));
    expect(series.buckets[0]).toEqual({ start: new Date(H0 - HOUR).toISOString(), runs: 0, succeeded: 0, failed: 0, cancelled: 0 });
    expect(series.buckets[1]).toEqual({ start: new Date(H0).toISOString(), runs: 2, succeeded: 1, failed: 1, cancelled: 0, success_rate: 50, duration_ms: { p50: 1000, p95: 3000, max: 3000 } });
    expect(series.buckets[2]!.runs).toBe(0);
    // A cancelled run counts against the rate but says nothing of durations; a running one neither.
    expect(series.buckets[3]).toEqual({ start: new Date(H0 + 2 * HOUR).toISOString(), runs: 2, succeeded: 0, failed: 0, cancelled: 1, success_rate: 0 });
    expect(series.bucket_ms).toBe(HOUR);
    expect(series.workflows.map((w) => [w.workflow, w.runs, w.failed, w.points.length])).toEqual([['deploy', 4, 1, 4]]);
    expect(series.workflows[0]!.points[1]).toEqual({ runs: 2, succeeded: 1, failed: 1, cancelled: 0, success_rate: 50, duration_ms: { p50: 1000, p95: 3000, max: 3000 } });
    expect(series.since).toBe(new Date(window.since).toISOString());
  });

  it("adds up to the window's figures: the same runs, successes and failures as GET /api/metrics", () => {
    const rows = {
      runs: [run('A', 'deploy', 'succeeded', 0, 1000), run('B', 'deploy', 'failed', HOUR, 3000), run('C', 'backup', 'succeeded', 3 * HOUR, 200), run('D', 'backup', 'failed', 3 * HOUR + 5, 100)],
      tasks: [task('A', 'build', 'succeeded', 10, 500), task('B', 'build', 'failed', HOUR + 10, HOUR + 60), task('D', 'dump', 'failed', 3 * HOUR + 10, 3 * HOUR + 20)],
    };
    const series = foldSeries(rows, { since: H0, until: H0 + 4 * HOUR, bucketMs: HOUR });
    const window = foldMetrics(rows);
    const sum = (key: 'runs' | 'succeeded' | 'failed') => series.buckets.reduce((n, b) => n + b[key], 0);
    expect({ runs: sum('runs'), succeeded: sum('succeeded'), failed: sum('failed') }).toEqual({ runs: window.totals.runs, succeeded: window.totals.succeeded, failed: window.totals.failed });
    expect(series.workflows.map((w) => [w.workflow, w.runs, w.failed])).toEqual(window.workflows.map((w) => [w.workflow, w.runs, w.failed]));
    expect(series.workflows.find((w) => w.workflow === 'backup')!.points[3]).toMatchObject({ runs: 2, success_rate: 50, duration_ms: { p50: 100, p95: 200, max: 200 } });
    for (const flow of window.workflows) {
      for (const t of flow.tasks) {
        const mine = series.tasks.find((s) => s.workflow === flow.workflow && s.task === t.task)!;
        expect({ runs: mine.runs, failed: mine.failed }).toEqual({ runs: t.runs, failed: t.failed });
      }
    }
  });

  it('keeps per task series aligned with the buckets, loop iterations as one task, and lists failures by task', () => {
    const rows = {
      runs: [run('A', 'deploy', 'failed', 0, 1000), run('B', 'deploy', 'failed', HOUR, 1000)],
      tasks: [
        task('A', 'envs[qa]', 'succeeded', 10, 110),
        task('A', 'envs[prod]', 'failed', 10, 310),
        task('A', 'skipped', 'skipped'),
        task('B', 'envs[qa]', 'failed', HOUR + 10, HOUR + 20),
        task('A', 'notify', 'succeeded', 400, 410),
      ],
    };
    const series = foldSeries(rows, { since: H0, until: H0 + HOUR + 5, bucketMs: HOUR });
    expect(series.tasks.map((t) => t.task)).toEqual(['envs[*]', 'notify']);
    const envs = series.tasks[0]!;
    expect(envs).toMatchObject({ workflow: 'deploy', runs: 3, failed: 2 });
    expect(envs.points).toHaveLength(series.buckets.length);
    expect(envs.points[0]).toEqual({ runs: 2, succeeded: 1, failed: 1, cancelled: 0, success_rate: 50, duration_ms: { p50: 100, p95: 300, max: 300 } });
    expect(envs.points[1]).toEqual({ runs: 1, succeeded: 0, failed: 1, cancelled: 0, success_rate: 0, duration_ms: { p50: 10, p95: 10, max: 10 } });
    expect(series.tasks[1]!.points[1]).toEqual({ runs: 0, succeeded: 0, failed: 0, cancelled: 0 });
    expect(series.failures_by_task).toEqual([{ workflow: 'deploy', task: 'envs[*]', failed: 2 }]);
  });

  it('leaves out runs outside the window and tasks of runs it did not read, and bounds the task series', () => {
    const rows = {
      runs: [run('A', 'w', 'succeeded', -HOUR, 10), run('B', 'w', 'succeeded', 0, 10)],
      tasks: [task('A', 'early', 'succeeded', 0, 1), task('Z', 'orphan', 'failed', 0, 1), ...Array.from({ length: MAX_TASK_SERIES + 5 }, (_, i) => task('B', `t${i}`, 'succeeded', 0, 1))],
    };
    const series = foldSeries(rows, { since: H0, until: H0 + 10, bucketMs: HOUR }, 'w');
    expect(series.buckets).toHaveLength(1);
    expect(series.buckets[0]!.runs).toBe(1);
    expect(series.workflow).toBe('w');
    expect(series.tasks).toHaveLength(MAX_TASK_SERIES);
    expect(series.tasks.some((t) => t.task === 'early' || t.task === 'orphan')).toBe(false);
    expect(series.failures_by_task).toEqual([]);
  });
});
