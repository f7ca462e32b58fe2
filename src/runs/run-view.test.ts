import { describe, expect, test } from 'vitest';
import type { RunEvent, StoredEvent } from '../store/events.js';
import { RunDigest, taskJson } from './run-view.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');

function numbered(events: RunEvent[]): StoredEvent[] {
  return events.map((e, i) => ({ at: T0 + i, ...e, seq: i + 1 }) as StoredEvent);
}

describe('taskJson depends_on: the run graph edges the UI draws', () => {
  test('static tasks carry their depends_on, a sequential loop its iterations chained, a task without any none', () => {
    const digest = new RunDigest();
    digest.apply(
      numbered([
        {
          type: 'RunCreated',
          workflow: {
            name: 'g',
            tasks: [
              { id: 'build', type: 'shell', depends_on: [] },
              { id: 'envs', type: 'loop', depends_on: ['build'], parallel: false, items: ['a', 'b'], task: { id: 'envs[item]', type: 'shell', depends_on: [] } },
              { id: 'ship', type: 'shell', depends_on: ['build', 'envs'] },
            ],
          },
          inputs: {},
          env: {},
        } as unknown as RunEvent,
        { type: 'TaskExpanded', task: 'envs', items: ['a', 'b'], labels: 'item', sequential: true, order_only: false } as unknown as RunEvent,
      ]),
    );
    const tasks = taskJson([], digest, T0 + 10);
    const deps = Object.fromEntries(tasks.map((t) => [t.id, t.depends_on]));
    expect(deps).toEqual({ build: undefined, envs: ['build'], 'envs[a]': undefined, 'envs[b]': ['envs[a]'], ship: ['build', 'envs'] });
  });
});
