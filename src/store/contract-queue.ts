import { expect, it } from 'vitest';
import { errorCode } from '../observability/errors.js';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { RunAdmissionAsk, TimedEvent } from './events.js';
import type { QueueDecision, QueueSnapshot } from './queue.js';
import type { Store } from './store.js';

/** A RunCreated that asks the queue for `ask`. */
const asking = (ask: RunAdmissionAsk, at = T0): TimedEvent => ({ ...ev.created(at), admission: ask } as TimedEvent);
const key = (k: string, limit = 1, priority = 0): RunAdmissionAsk => ({ priority, concurrency: { key: k, limit, on_conflict: 'queue' } });
const queuedEvent = (at = T0): TimedEvent => ({ type: 'RunQueued', priority: 0, reason: 'concurrency', at });

/** Queue it when its key is held, as runs/admission.ts would for a limit of 1. */
const queueWhenHeld =
  (id: string, k: string, at = T0): QueueDecision =>
  (queue) => (queue.holding(k).length > 0 ? [{ runId: id, events: [queuedEvent(at)] }] : []);

async function create(store: Store, id: string, ask: RunAdmissionAsk | undefined, admit?: QueueDecision, at = T0) {
  return store.runs.createRun({ id, workflow: 'deploy', created_at: at }, [ask ? asking(ask, at) : ev.created(at)], admit);
}

export function queueContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);

  it("keeps what a run asked of the queue on its record; a run that asked nothing has none of it", async () => {
    await create(store(), 'R1', key('deploy-prod', 2, 5));
    await create(store(), 'R2', undefined);
    await create(store(), 'R3', { priority: 0 });
    expect(await store().runs.getRun('R1')).toMatchObject({ priority: 5, concurrency_key: 'deploy-prod', concurrency_limit: 2 });
    const plain = await store().runs.getRun('R2');
    expect(plain?.priority).toBeUndefined();
    expect(plain?.concurrency_key).toBeUndefined();
    expect(await store().runs.getRun('R3')).toMatchObject({ priority: 0 });
    expect((await store().runs.getRun('R3'))?.concurrency_key).toBeUndefined();
  });

  it('records what the decision makes of a new run with it, from the queue as it is without it', async () => {
    let seen: { holding: string[]; running: number } | undefined;
    const look: QueueDecision = (queue) => {
      seen = { holding: queue.holding('k').map((r) => r.id), running: queue.running };
      return [];
    };
    await create(store(), 'R1', key('k'), look);
    expect(seen).toEqual({ holding: [], running: 0 });
    expect((await store().runs.getRun('R1'))?.status).toBe('pending');
    await create(store(), 'R2', key('k'), look);
    // R1 was admitted (recorded with no RunQueued): it holds the key, and counts as running.
    expect(seen).toEqual({ holding: ['R1'], running: 1 });
    const stored = await create(store(), 'R3', key('k'), queueWhenHeld('R3', 'k'));
    expect(stored.map((e) => [e.seq, e.type])).toEqual([
      [1, 'RunCreated'],
      [2, 'RunQueued'],
    ]);
    expect((await store().runs.getRun('R3'))?.status).toBe('queued');
  });

  it('counts holders of a key and running runs by status: queued and finished runs hold nothing, waiting runs hold their key only', async () => {
    const runs = store().runs;
    await create(store(), 'A', key('k', 5));
    await runs.append('A', [ev.started(T0 + 1)]);
    await create(store(), 'B', key('k', 5));
    await runs.append('B', [ev.started(T0 + 1), { type: 'RunWaiting', waits: [], at: T0 + 2 }]);
    await create(store(), 'C', key('k', 5), () => [{ runId: 'C', events: [queuedEvent()] }]);
    await create(store(), 'D', key('k', 5));
    await runs.append('D', [ev.started(T0 + 1), ev.succeeded(T0 + 2)]);
    await create(store(), 'E', undefined);
    await runs.append('E', [ev.started(T0 + 1)]);
    let snapshot: QueueSnapshot | undefined;
    let holding: string[] = [];
    await runs.decideQueue((q) => {
      snapshot = q;
      holding = q.holding('k').map((r) => r.id);
      return [];
    });
    expect(holding).toEqual(['A', 'B']);
    // A runs; B waits (holds its key, not a share of the machine); E asked nothing.
    expect(snapshot?.running).toBe(1);
    expect(snapshot?.queued.map((r) => r.id)).toEqual(['C']);
  });

  it('gives the queue in the order runs start: priority, higher first, then arrival', async () => {
    const queue = (id: string, priority: number, at: number) =>
      create(store(), id, { priority }, () => [{ runId: id, events: [{ ...queuedEvent(at), priority }] }], at);
    await queue('Q1', 0, T0 + 1);
    await queue('Q2', 5, T0 + 2);
    await queue('Q3', 0, T0 + 3);
    await queue('Q4', 5, T0 + 4);
    await queue('Q5', -1, T0 + 5);
    let order: string[] = [];
    await store().runs.decideQueue((q) => {
      order = q.queued.map((r) => r.id);
      return [];
    });
    expect(order).toEqual(['Q2', 'Q4', 'Q1', 'Q3', 'Q5']);
  });

  it("records a decision's events and wakes those waiting for them; a decision naming an unknown run records nothing", async () => {
    const runs = store().runs;
    await create(store(), 'R1', key('k'));
    await create(store(), 'R2', key('k'), queueWhenHeld('R2', 'k'));
    const woken = runs.waitForEvents('R2', 2, { timeoutMs: 5000 });
    // The waiter has looked once and sleeps.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const asleepSince = Date.now();
    const recorded = await runs.decideQueue((q) => q.queued.map((r) => ({ runId: r.id, events: [{ type: 'RunAdmitted', at: T0 + 9 }] })));
    expect(recorded.map((r) => [r.runId, r.events.map((e) => [e.seq, e.type])])).toEqual([['R2', [[3, 'RunAdmitted']]]]);
    expect((await woken).map((e) => e.type)).toEqual(['RunAdmitted']);
    expect(Date.now() - asleepSince).toBeLessThan(4000);
    expect((await runs.getRun('R2'))?.status).toBe('pending');

    await create(store(), 'R3', key('k'), queueWhenHeld('R3', 'k'));
    let failed = '';
    await runs
      .decideQueue(() => [
        { runId: 'R3', events: [ev.cancelled('gone', T0 + 10)] },
        { runId: 'NOPE', events: [ev.cancelled('gone', T0 + 10)] },
      ])
      .catch((err: unknown) => (failed = errorCode(err)));
    expect(failed).toBe('STORE_RUN_NOT_FOUND');
    expect((await runs.getRun('R3'))?.status).toBe('queued');
  });

  it('records changes to other runs with a new one, in one transaction (a run superseding queued ones)', async () => {
    await create(store(), 'R1', key('k'));
    await create(store(), 'R2', key('k'), queueWhenHeld('R2', 'k'));
    await create(store(), 'R3', key('k'), (q) => [
      ...q.queued.map((r) => ({ runId: r.id, events: [ev.cancelled('superseded by R3', T0 + 5)] })),
      { runId: 'R3', events: [queuedEvent(T0 + 5)] },
    ]);
    expect((await store().runs.getRun('R2'))?.status).toBe('cancelled');
    expect((await store().runs.getRun('R3'))?.status).toBe('queued');
  });

  it('lets one of two runs created at once take the last slot of a key', async () => {
    await Promise.all([create(store(), 'R1', key('k'), queueWhenHeld('R1', 'k')), create(store(), 'R2', key('k'), queueWhenHeld('R2', 'k'))]);
    const statuses = [(await store().runs.getRun('R1'))?.status, (await store().runs.getRun('R2'))?.status].sort();
    expect(statuses).toEqual(['pending', 'queued']);
  });

  it('rebuilds the queue fields and a queued status from the events', async () => {
    await create(store(), 'R1', key('k', 3, 7));
    await create(store(), 'R2', key('k', 3, 7), () => [{ runId: 'R2', events: [queuedEvent()] }]);
    await store().runs.rebuildProjection();
    expect(await store().runs.getRun('R1')).toMatchObject({ status: 'pending', priority: 7, concurrency_key: 'k', concurrency_limit: 3 });
    expect(await store().runs.getRun('R2')).toMatchObject({ status: 'queued', priority: 7 });
    expect((await store().runs.listRuns({ status: 'queued' })).map((r) => r.id)).toEqual(['R2']);
  });
}
