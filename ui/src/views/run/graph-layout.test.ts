import { describe, expect, test } from 'vitest';
import { GROUP_CHIPS, chainByTime, layoutGraph, visibleNodes } from './graph-layout.js';
import type { TaskJson } from './types.js';

const task = (id: string, fields: Partial<TaskJson> = {}): TaskJson => ({ id, status: 'succeeded', attempts: 1, ...fields });

describe('layoutGraph', () => {
  test('dependencies go left to right; a loop is a group with its iterations as chips', () => {
    const layout = layoutGraph([
      task('build'),
      task('envs', { type: 'loop', depends_on: ['build'] }),
      task('envs[a]', { parent: 'envs' }),
      task('envs[b]', { parent: 'envs', status: 'failed', depends_on: ['envs[a]'] }),
      task('ship', { status: 'pending', depends_on: ['envs'] }),
    ]);
    const at = Object.fromEntries(layout.nodes.map((n) => [n.id, n]));
    expect(Object.keys(at)).toEqual(['build', 'envs', 'ship']);
    expect(at.build.x).toBeLessThan(at.envs.x);
    expect(at.envs.x).toBeLessThan(at.ship.x);
    expect(at.envs.chips!.map((c) => [c.id, c.label, c.status])).toEqual([
      ['envs[a]', '[a]', 'succeeded'],
      ['envs[b]', '[b]', 'failed'],
    ]);
    expect(at.envs.size).toBe(2);
    expect(layout.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(['build->envs', 'envs->ship']);
    expect(layout.edges[0].points.length).toBeGreaterThan(1);
    expect(layout.width).toBeGreaterThan(at.ship.x);
  });

  test('a loop of 2,000 iterations is one collapsed node with counts, laid out at once', () => {
    const tasks = [task('many', { type: 'loop', status: 'running' })];
    for (let i = 0; i < 2000; i++) tasks.push(task(`many[${i}]`, { parent: 'many', status: i < 1500 ? 'succeeded' : 'pending' }));
    const started = performance.now();
    const layout = layoutGraph(tasks);
    expect(performance.now() - started).toBeLessThan(500);
    expect(layout.nodes).toHaveLength(1);
    expect(layout.nodes[0].chips).toBeUndefined();
    expect(layout.nodes[0].counts).toEqual({ succeeded: 1500, pending: 500 });
    expect(layout.nodes[0].size).toBe(2000);
    expect(GROUP_CHIPS).toBeLessThan(2000);
  });

  test("a code run's steps are chained by time: overlapping ones side by side", () => {
    const steps = [
      task('fetch', { started_at: '2026-12-01T10:00:00.000Z', ended_at: '2026-12-01T10:00:01.000Z' }),
      task('a', { started_at: '2026-12-01T10:00:01.000Z', ended_at: '2026-12-01T10:00:03.000Z' }),
      task('b', { started_at: '2026-12-01T10:00:01.000Z', ended_at: '2026-12-01T10:00:02.000Z' }),
      task('report', { started_at: '2026-12-01T10:00:03.000Z', ended_at: '2026-12-01T10:00:04.000Z' }),
    ];
    expect(chainByTime(steps)).toEqual([
      ['fetch', 'a'],
      ['fetch', 'b'],
      ['a', 'report'],
    ]);
    expect(layoutGraph(steps, { code: true }).edges).toHaveLength(3);
  });

  test('visibleNodes keeps what meets the view', () => {
    const nodes = layoutGraph([task('a'), task('b', { depends_on: ['a'] }), task('c', { depends_on: ['b'] })]).nodes;
    const first = nodes[0];
    expect(visibleNodes(nodes, { x: first.x, y: first.y, w: 10, h: 10 }, 0).map((n) => n.id)).toEqual(['a']);
  });
});

