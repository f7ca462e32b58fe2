import { describe, expect, it } from 'vitest';
import type { RunStatus, TimedEvent } from '../store/events.js';
import type { QueueSnapshot } from '../store/queue.js';
import type { RunRecord } from '../store/store.js';
import { admissible, admitQueued, decideNewRun, queuePositions } from './admission.js';

/** A tiny DSL: runs by id, with key@limit, priority and arrival order. */
let clock = 0;
function run(id: string, status: RunStatus, options: { key?: string; limit?: number; priority?: number } = {}): RunRecord {
  const record: RunRecord = { id, namespace: 'default', workflow: 'w', status, created_at: ++clock, updated_at: clock, priority: options.priority ?? 0 };
  if (options.key !== undefined) {
    record.concurrency_key = options.key;
    record.concurrency_limit = options.limit ?? 1;
  }
  return record;
}

function snapshot(runs: RunRecord[]): QueueSnapshot {
  const order = (a: RunRecord, b: RunRecord) => (b.priority ?? 0) - (a.priority ?? 0) || a.created_at - b.created_at;
  return {
    queued: runs.filter((r) => r.status === 'queued').sort(order),
    holding: (key) => runs.filter((r) => r.concurrency_key === key && ['pending', 'running', 'waiting'].includes(r.status)),
    running: runs.filter((r) => ['pending', 'running'].includes(r.status)).length,
  };
}

const ids = (runs: RunRecord[]) => runs.map((r) => r.id);
const types = (events: TimedEvent[]) => events.map((e) => e.type);

describe('admission', () => {
  it('admits queued runs whose key has room, in priority order, ties by arrival', () => {
    const runs = [run('hold', 'running', { key: 'prod' }), run('a', 'queued', { key: 'prod' }), run('b', 'queued', { key: 'qa' }), run('c', 'queued', { key: 'qa' }), run('d', 'queued', { key: 'qa', priority: 1 })];
    const { admitted, blocked } = admissible(snapshot(runs), {});
    expect(ids(admitted)).toEqual(['d']);
    expect([...blocked]).toEqual([
      ['a', 'concurrency'],
      ['b', 'concurrency'],
      ['c', 'concurrency'],
    ]);
  });

  it('stops at the global limit, passing over runs whose key is full rather than waiting behind them', () => {
    const runs = [run('x', 'running'), run('hold', 'waiting', { key: 'k' }), run('a', 'queued', { key: 'k' }), run('b', 'queued'), run('c', 'queued')];
    // One running (the waiting run holds its key, not a share of the machine); a limit of 2 leaves one slot.
    const { admitted, blocked } = admissible(snapshot(runs), { maxRunning: 2 });
    expect(ids(admitted)).toEqual(['b']);
    expect(blocked.get('a')).toBe('concurrency');
    expect(blocked.get('c')).toBe('max_running');
  });

  it('a high-priority run queued after a flood of low ones starts first', () => {
    const flood = Array.from({ length: 50 }, (_, i) => run(`low${i}`, 'queued', { priority: 0 }));
    const runs = [run('busy', 'running'), ...flood, run('high', 'queued', { priority: 10 })];
    expect(ids(admissible(snapshot(runs), { maxRunning: 2 }).admitted)).toEqual(['high']);
    expect(queuePositions(runs.filter((r) => r.status === 'queued')).get('high')).toBe(1);
  });

  it('places queued runs among those of their key, or among all runs when they have none', () => {
    const runs = [run('p1', 'queued', { key: 'prod' }), run('n1', 'queued'), run('p2', 'queued', { key: 'prod' }), run('q1', 'queued', { key: 'qa' }), run('n2', 'queued')];
    expect(Object.fromEntries(queuePositions(runs))).toEqual({ p1: 1, n1: 2, p2: 2, q1: 1, n2: 5 });
  });

  describe('a new run', () => {
    it('starts at once when its key has room (nothing more is recorded)', () => {
      const me = run('me', 'pending', { key: 'k', limit: 2 });
      expect(decideNewRun(me, 'queue', {}, 7)(snapshot([run('a', 'running', { key: 'k', limit: 2 })]))).toEqual([]);
    });

    it('queues behind the runs holding its key, and behind runs of its key queued before it', () => {
      const holder = run('hold', 'running', { key: 'k' });
      const me = run('me', 'pending', { key: 'k' });
      expect(decideNewRun(me, 'queue', {}, 7)(snapshot([holder]))).toEqual([{ runId: 'me', events: [{ type: 'RunQueued', priority: 0, reason: 'concurrency', key: 'k', behind: ['hold'], at: 7 }] }]);
      // limit 2, one holder, one queued (by the global limit) ahead: it waits its turn too.
      const ahead = run('ahead', 'queued', { key: 'm', limit: 2 });
      const second = run('me2', 'pending', { key: 'm', limit: 2 });
      const changes = decideNewRun(second, 'queue', { maxRunning: 1 }, 7)(snapshot([run('h', 'running', { key: 'm', limit: 2 }), ahead]));
      expect(changes[0].events[0]).toMatchObject({ type: 'RunQueued', reason: 'max_running' });
    });

    it('with a higher priority, goes before the queued runs of its key', () => {
      const queued = run('q', 'queued', { key: 'k', limit: 2 });
      const me = run('me', 'pending', { key: 'k', limit: 2, priority: 5 });
      expect(decideNewRun(me, 'queue', { maxRunning: 2 }, 7)(snapshot([run('h', 'running', { key: 'k', limit: 2 }), queued]))).toEqual([]);
    });

    it('is skipped (cancelled, never started) when its key is full and on_conflict is skip; not when only the global limit is', () => {
      const me = run('me', 'pending', { key: 'k' });
      const [change] = decideNewRun(me, 'skip', {}, 7)(snapshot([run('hold', 'running', { key: 'k' })]));
      expect(change.events).toEqual([{ type: 'RunCancelled', reason: 'skipped: concurrency key k is full (limit 1; run hold holds it)', skipped: true, at: 7 }]);
      const other = run('me2', 'pending', { key: 'z' });
      expect(types(decideNewRun(other, 'skip', { maxRunning: 1 }, 7)(snapshot([run('x', 'running')]))[0].events)).toEqual(['RunQueued']);
    });

    it('with cancel-running, supersedes the queued runs of its key and asks the oldest holders to cancel', () => {
      const runs = [run('old', 'running', { key: 'k', limit: 2 }), run('new', 'running', { key: 'k', limit: 2 }), run('q', 'queued', { key: 'k', limit: 2 })];
      const me = run('me', 'pending', { key: 'k', limit: 2 });
      const changes = decideNewRun(me, 'cancel-running', {}, 7)(snapshot(runs));
      expect(changes.map((c) => [c.runId, types(c.events)])).toEqual([
        ['q', ['RunCancelled']],
        ['me', ['RunQueued']],
      ]);
      expect(changes[1].events[0]).toMatchObject({ behind: ['old', 'new'], cancelling: ['old'] });
    });

    it('passes over runs whose process died while they were queued', () => {
      const dead = run('dead', 'queued', { key: 'k' });
      const me = run('me', 'pending', { key: 'k' });
      expect(decideNewRun(me, 'queue', {}, 7, (r) => r.id === 'dead')(snapshot([dead]))).toEqual([]);
      expect(types(decideNewRun(me, 'queue', {}, 7)(snapshot([dead]))[0].events)).toEqual(['RunQueued']);
    });
  });

  it('admits only the one run asked for, when that run may start', () => {
    const runs = [run('a', 'queued'), run('b', 'queued')];
    expect(admitQueued({ maxRunning: 1 }, 9, { only: 'b' })(snapshot(runs))).toEqual([]);
    expect(admitQueued({ maxRunning: 1 }, 9, { only: 'a' })(snapshot(runs))).toEqual([{ runId: 'a', events: [{ type: 'RunAdmitted', at: 9 }] }]);
    expect(admitQueued({}, 9)(snapshot(runs)).map((c) => c.runId)).toEqual(['a', 'b']);
  });
});
