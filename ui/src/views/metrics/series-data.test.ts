import { describe, expect, it } from 'vitest';
import { chartsOf, formatValue, MAX_LINES, type MetricsSeries, type Point } from './series-data.js';

const H = 3_600_000;
const T = Date.UTC(2026, 10, 30, 10);
const empty: Point = { runs: 0, succeeded: 0, failed: 0, cancelled: 0 };

function series(): MetricsSeries {
  const a: Point = { runs: 2, succeeded: 1, failed: 1, cancelled: 0, success_rate: 50, duration_ms: { p50: 100, p95: 900, max: 900 } };
  return {
    since: new Date(T).toISOString(),
    until: new Date(T + H).toISOString(),
    bucket_ms: H,
    buckets: [
      { start: new Date(T).toISOString(), ...a },
      { start: new Date(T + H).toISOString(), ...empty },
    ],
    workflows: [
      { workflow: 'rare', runs: 1, failed: 0, points: [empty, empty] },
      { workflow: 'deploy', runs: 2, failed: 1, points: [a, empty] },
    ],
    tasks: [{ workflow: 'deploy', task: 'ship', runs: 2, failed: 1, points: [a, empty] }],
    failures_by_task: [{ workflow: 'deploy', task: 'ship', failed: 1 }],
  };
}

describe("the Metrics view's chart data", () => {
  it('aligns every line with the buckets (seconds), null where a bucket has no value', () => {
    const [runs, rate, duration, taskRate, taskDuration] = chartsOf(series(), 'hour');
    expect(runs!.title).toBe('Runs per hour');
    expect(runs!.x).toEqual([T / 1000, (T + H) / 1000]);
    expect(runs!.lines.map((l) => [l.label, l.values])).toEqual([
      ['runs', [2, 0]],
      ['failed', [1, 0]],
    ]);
    // Workflows that ran most first.
    expect(rate!.lines.map((l) => [l.label, l.values])).toEqual([
      ['deploy', [50, null]],
      ['rare', [null, null]],
    ]);
    expect(duration!.lines.slice(0, 2).map((l) => [l.label, l.values, l.dash ?? false])).toEqual([
      ['deploy p50', [100, null], false],
      ['deploy p95', [900, null], true],
    ]);
    expect(taskRate!.lines[0]!.label).toBe('deploy/ship');
    expect(taskDuration!.lines.map((l) => l.label)).toEqual(['deploy/ship p50', 'deploy/ship p95']);
  });

  it('names tasks without their workflow once one is picked, and draws at most MAX_LINES', () => {
    const one = { ...series(), workflow: 'deploy' };
    one.tasks = Array.from({ length: 12 }, (_, i) => ({ workflow: 'deploy', task: `t${i}`, runs: i, failed: 0, points: [empty, empty] }));
    const charts = chartsOf(one, 'hour');
    expect(charts[3]!.lines).toHaveLength(MAX_LINES);
    expect(charts[3]!.lines[0]!.label).toBe('t11');
    expect(charts[4]!.lines).toHaveLength(MAX_LINES);
  });

  it('formats values for legends and axes', () => {
    expect([formatValue('%', 33.33), formatValue('runs', 3), formatValue('ms', 850), formatValue('ms', 12_345), formatValue('ms', 125_000), formatValue('ms', null)]).toEqual(['33.33%', '3', '850ms', '12s', '2m 05s', '—']);
  });
});
