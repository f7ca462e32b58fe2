import { describe, expect, it } from 'vitest';
import type { StatsRun, StatsTask } from '../../store/run-stats.js';
import { bottlenecks, foldMetrics } from './fold.js';
import { percentile, spread } from './percentiles.js';
import { taskGroup } from './task-group.js';

const T0 = 1_700_000_000_000;

/** A finished run with `active` ms of active time, created at T0 + `at`. */
const run = (id: string, workflow: string, status: StatsRun['status'], at: number, active?: number): StatsRun => ({
  id,
  workflow,
  status,
  created_at: T0 + at,
  ...(active === undefined ? {} : { ended_at: T0 + at + active + 5, active_ms: active }),
});

/** A task that was ready at +ready, started at +start and ended at +end (relative to T0), after `attempt` attempts. */
const task = (run_id: string, key: string, status: StatsTask['status'], attempt: number, ready?: number, start?: number, end?: number): StatsTask => ({
  run_id,
  key,
  status,
  attempt,
  ...(ready === undefined ? {} : { ready_at: T0 + ready }),
  ...(start === undefined ? {} : { first_started_at: T0 + start }),
  ...(end === undefined ? {} : { ended_at: T0 + end }),
});

describe('percentiles', () => {
  it('takes the nearest rank, so every figure is one that was observed', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(spread(hundred)).toEqual({ p50: 50, p95: 95, max: 100 });
    expect(spread([])).toBeUndefined();
  });
});

describe('task groups', () => {
  it("counts a loop's iterations, a map's items and a repeated step as one task", () => {
    expect(taskGroup('build')).toBe('build');
    expect(taskGroup('envs[qa]')).toBe('envs[*]');
    expect(taskGroup('envs[3]')).toBe('envs[*]');
    expect(taskGroup('envs[qa][0]')).toBe('envs[*][0]');
    expect(taskGroup('envs[qa][then]')).toBe('envs[*][then]');
    expect(taskGroup('outer[a][0][x]')).toBe('outer[*][0][*]');
    expect(taskGroup('hosts[a[1]]')).toBe('hosts[*]');
    expect(taskGroup('poll#3')).toBe('poll');
    expect(taskGroup('compensate[deploy]')).toBe('compensate[deploy]');
    expect(taskGroup('compensate[envs[qa]]')).toBe('compensate[envs[*]]');
  });
});

describe('the metrics fold', () => {
  it('counts runs by status, the success rate of finished runs, and durations of runs that succeeded or failed', () => {
    const runs = [
      run('R1', 'deploy', 'succeeded', 0, 100),
      run('R2', 'deploy', 'succeeded', 10, 300),
      run('R3', 'deploy', 'failed', 20, 200),
      run('R4', 'deploy', 'cancelled', 30, 5_000),
      run('R5', 'deploy', 'running', 40),
      run('B1', 'backup', 'succeeded', 50, 40),
    ];
    const folded = foldMetrics({ runs, tasks: [] });
    expect(folded.totals).toEqual({ runs: 6, succeeded: 3, failed: 1, cancelled: 1, unfinished: 1, success_rate: 60 });
    expect(folded.workflows.map((w) => w.workflow)).toEqual(['backup', 'deploy']);
    const deploy = folded.workflows[1];
    // 2 of 4 finished; the running one counts in neither; the cancelled one's 5 s is not a duration.
    expect(deploy).toMatchObject({ runs: 5, succeeded: 2, failed: 1, cancelled: 1, unfinished: 1, success_rate: 50, duration_ms: { p50: 200, p95: 300, max: 300 }, retries: 0, tasks: [] });
    expect(folded.slowest.get('deploy')).toEqual({ run_id: 'R2', status: 'succeeded', duration_ms: 300 });
    expect(folded.slowest.get('backup')?.run_id).toBe('B1');
    expect(foldMetrics({ runs: [run('X', 'w', 'running', 0)], tasks: [] }).workflows[0]).toEqual({ workflow: 'w', runs: 1, succeeded: 0, failed: 0, cancelled: 0, unfinished: 1, retries: 0, tasks: [] });
  });

  it('gives rates with two decimals', () => {
    const runs = [run('A', 'w', 'succeeded', 0, 1), run('B', 'w', 'succeeded', 1, 1), run('C', 'w', 'failed', 2, 1)];
    expect(foldMetrics({ runs, tasks: [] }).workflows[0].success_rate).toBe(66.67);
  });

  it('counts retries, failures, task durations from first start to end, and queue waits from ready to first start', () => {
    const runs = [run('R1', 'deploy', 'succeeded', 0, 1000), run('R2', 'deploy', 'failed', 2000, 1000), run('R3', 'deploy', 'succeeded', 4000, 1000)];
    const tasks = [
      task('R1', 'build', 'succeeded', 1, 10, 12, 112),
      // Failed once, retried: 3 attempts, from its first start (30) to its end (530) with the back-off.
      task('R1', 'test', 'succeeded', 3, 120, 130, 530),
      task('R2', 'build', 'succeeded', 1, 2010, 2020, 2220),
      task('R2', 'test', 'failed', 2, 2230, 2230, 2330),
      task('R3', 'build', 'succeeded', 1, 4000, 4100, 4400),
      task('R3', 'test', 'skipped', 0, undefined, undefined, 4400),
      // A code run's step: no TaskReady, no queue wait, still a duration.
      task('R3', 'notify#2', 'succeeded', 1, undefined, 4400, 4420),
      // A task of a run not read (created between two reads): left out.
      task('GONE', 'build', 'succeeded', 7, 0, 1, 2),
    ];
    const deploy = foldMetrics({ runs, tasks }).workflows[0];
    expect(deploy.retries).toBe(3);
    // Runs waited 12, 20 and 100 ms for their first task to start.
    expect(deploy.queue_wait_ms).toBe(44);
    expect(deploy.tasks).toEqual([
      { task: 'build', runs: 3, succeeded: 3, failed: 0, retries: 0, duration_ms: { p50: 200, p95: 300, max: 300 }, queue_wait_ms: 37 },
      { task: 'test', runs: 2, succeeded: 1, failed: 1, retries: 3, duration_ms: { p50: 100, p95: 400, max: 400 }, queue_wait_ms: 5 },
      { task: 'notify', runs: 1, succeeded: 1, failed: 0, retries: 0, duration_ms: { p50: 20, p95: 20, max: 20 } },
    ]);
  });

  it('folds iterations into one task and ranks bottlenecks by p95 without composites', () => {
    const runs = [run('R1', 'fan', 'succeeded', 0, 1000), run('B1', 'other', 'succeeded', 0, 1000)];
    const tasks = [
      task('R1', 'envs', 'succeeded', 1, 0, 1, 900),
      task('R1', 'envs[qa]', 'succeeded', 1, 1, 2, 502),
      task('R1', 'envs[prod]', 'succeeded', 2, 1, 3, 803),
      task('R1', 'report', 'succeeded', 1, 900, 900, 910),
      task('B1', 'para', 'succeeded', 1, 0, 0, 700),
      task('B1', 'slow', 'succeeded', 1, 0, 0, 700),
      task('B1', 'quick', 'succeeded', 1, 0, 0, 1),
    ];
    const folded = foldMetrics({ runs, tasks });
    const fan = folded.workflows[0];
    expect(fan.tasks.map((t) => [t.task, t.runs, t.retries])).toEqual([
      ['envs', 1, 0],
      ['envs[*]', 2, 1],
      ['report', 1, 0],
    ]);
    const ranked = bottlenecks(folded.workflows, (workflow, name) => workflow === 'other' && name === 'para');
    expect(ranked.map((b) => `${b.workflow}/${b.task}:${b.duration_ms.p95}`)).toEqual(['fan/envs[*]:800', 'other/slow:700', 'fan/report:10', 'other/quick:1']);
    expect(bottlenecks(folded.workflows, undefined, 1)).toHaveLength(1);
  });
});
