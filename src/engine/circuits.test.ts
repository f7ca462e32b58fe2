import { describe, expect, it } from 'vitest';
import { ExecutorError } from '../executors/errors.js';
import type { Executor } from '../executors/types.js';
import type { CircuitPolicy, TaskSpec } from '../spec/model.js';
import type { StoredEvent } from '../store/events.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import { runWorkflow } from './runner.js';
import { noop, shell, workflow } from './test-dsl.js';

/**
 * A stand-in executor (named as such) for a dependency behind a circuit: it counts the
 * calls that reach it and fails them with `failure` while `broken` says so.
 */
function dependency(failure: () => ExecutorError = () => new ExecutorError('HTTP_STATUS', 'POST /charge -> 500', { retryable: true, details: { status: 500 } })) {
  const state = { broken: true, calls: 0 };
  const executor: Executor = {
    async run() {
      state.calls++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (state.broken) throw failure();
      return { outputs: { ok: true } };
    },
  };
  return { state, executor };
}

const POLICY: CircuitPolicy = { failures: 3, window: 60_000, open_for: 60_000, probes: 1 };

async function drive(store: Store, tasks: TaskSpec[], executor: Executor, circuits: Record<string, CircuitPolicy> = { api: POLICY }) {
  const events: StoredEvent[] = [];
  const { state } = await runWorkflow({ store, workflow: workflow(tasks, { circuits }), executors: () => executor, concurrency: 1, onEvent: (e) => events.push(e), random: () => 0.5 });
  const failed = (task: string) => events.filter((e) => e.type === 'TaskFailed' && e.task === task).map((e) => (e as Extract<StoredEvent, { type: 'TaskFailed' }>).error);
  const changes = events.filter((e) => e.type === 'CircuitChanged').map((e) => `${(e as { task: string }).task}:${(e as { state: string }).state}`);
  return { state, events, failed, changes };
}

/** Tasks c1..cn through the circuit, independent of each other (so each runs, one at a time). */
const calls = (n: number, extra: Partial<TaskSpec> = {}) => Array.from({ length: n }, (_, i) => shell(`c${i + 1}`, 'charge', { circuit: 'api', continue_on_error: true, ...extra } as never));

describe('circuit breakers in a run', () => {
  it('opens after `failures` failures; later attempts fail at once with CIRCUIT_OPEN, without reaching the dependency', async () => {
    const store = createMemoryStore();
    const { state: dep, executor } = dependency();
    const run = await drive(store, calls(6), executor);
    expect(dep.calls).toBe(3);
    expect(run.changes).toEqual(['c3:open']);
    expect(run.failed('c3')[0]).toMatchObject({ code: 'HTTP_STATUS' });
    for (const task of ['c4', 'c5', 'c6']) {
      const [error] = run.failed(task);
      expect(error).toMatchObject({ code: 'CIRCUIT_OPEN', circuit: 'api' });
      expect(error.message).toMatch(/^circuit api is open since \d\d:\d\d:\d\d after 3 failures in 1m; next probe at \d\d:\d\d:\d\d$/);
    }
    expect(run.events.find((e) => e.type === 'CircuitChanged')).toMatchObject({ task: 'c3', attempt: 1, circuit: 'api', state: 'open', failures: 3, window: 60_000 });
    expect(await store.circuits.get({ namespace: 'default', name: 'api' })).toMatchObject({ state: 'open', opened_after: 3 });
  });

  it('is shared by the runs of one store, and kept apart by name', async () => {
    const store = createMemoryStore();
    const { state: dep, executor } = dependency();
    await drive(store, calls(3), executor);
    const other = shell('other', 'charge', { circuit: 'db', continue_on_error: true } as never);
    const second = await drive(store, [...calls(2), other], executor, { api: POLICY, db: POLICY });
    expect(second.failed('c1')[0].code).toBe('CIRCUIT_OPEN');
    expect(second.failed('other')[0].code).toBe('HTTP_STATUS');
    expect(dep.calls).toBe(4);
  });

  it('lets a probe through once open_for has passed: its success closes the circuit, and a retry waits the open period out', async () => {
    const store = createMemoryStore();
    const policy = { ...POLICY, open_for: 150 };
    const { state: dep, executor } = dependency();
    await drive(store, calls(3), executor, { api: policy });
    dep.broken = false;
    const retried = shell('pay', 'charge', { circuit: 'api', retry: { attempts: 10, delay: 40, backoff: 'fixed', factor: 1, jitter: 0 } } as never);
    const run = await drive(store, [retried, ...calls(2).map((t) => ({ ...t, depends_on: ['pay'] }))], executor, { api: policy });
    expect(run.state.status).toBe('succeeded');
    expect(run.failed('pay').length).toBeGreaterThan(0);
    expect(run.failed('pay').every((e) => e.code === 'CIRCUIT_OPEN')).toBe(true);
    expect(run.changes).toEqual(['pay:half_open', 'pay:closed']);
    expect(dep.calls).toBe(3 + 3);
    expect(await store.circuits.get({ namespace: 'default', name: 'api' })).toMatchObject({ state: 'closed' });
  });

  it('opens again when the probe fails', async () => {
    const store = createMemoryStore();
    const { state: dep, executor } = dependency();
    await drive(store, calls(3), executor, { api: { ...POLICY, open_for: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const run = await drive(store, calls(2), executor, { api: { ...POLICY, open_for: 60_000 } });
    expect(run.changes).toEqual(['c1:half_open', 'c1:open']);
    expect(run.failed('c2')[0].message).toMatch(/is open since .* after a failed probe; next probe at/);
    expect(dep.calls).toBe(4);
  });

  it('counts only the failures count_on names, and never a cancelled attempt', async () => {
    const store = createMemoryStore();
    const { state: dep, executor } = dependency(() => new ExecutorError('EXEC_EXIT_CODE', 'exit 2', { retryable: true, exit_code: 2 }));
    const run = await drive(store, calls(5), executor, { api: { ...POLICY, count_on: { http_statuses: [500, 503] } } });
    expect(dep.calls).toBe(5);
    expect(run.changes).toEqual([]);
    expect(await store.circuits.get({ namespace: 'default', name: 'api' })).toBeUndefined();
    const cancel = new AbortController();
    const slow: Executor = { run: (_task, _io, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new ExecutorError('EXEC_ABORTED', 'stopped', { retryable: false })))) };
    const stopped = runWorkflow({ store, workflow: workflow(calls(1), { circuits: { api: { ...POLICY, failures: 1 } } }), executors: () => slow, signal: cancel.signal });
    setTimeout(() => cancel.abort(), 20);
    expect((await stopped).state.status).toBe('cancelled');
    expect(await store.circuits.get({ namespace: 'default', name: 'api' })).toBeUndefined();
  });

  it('is an ordinary failure to a fallback, which runs instead', async () => {
    const store = createMemoryStore();
    const { executor } = dependency();
    await drive(store, calls(3), executor);
    const withFallback = shell('pay', 'charge', { circuit: 'api', fallback: noop('queue-it') } as never);
    const noops: Executor = { run: (task, io, signal) => (task.type === 'noop' ? Promise.resolve({ outputs: { queued: true } }) : executor.run(task, io, signal)) };
    const run = await drive(store, [withFallback], noops);
    expect(run.state.status).toBe('succeeded');
    expect(run.failed('pay')[0].code).toBe('CIRCUIT_OPEN');
    expect(run.state.task('pay').outputs).toEqual({ queued: true });
  });

  it('fails a task naming a circuit its run does not know with CIRCUIT_UNKNOWN, not retried', async () => {
    const store = createMemoryStore();
    const { state: dep, executor } = dependency();
    const run = await drive(store, [shell('pay', 'charge', { circuit: 'nope', retry: { attempts: 3, delay: 1, backoff: 'fixed', factor: 1, jitter: 0 } } as never)], executor, {});
    expect(run.failed('pay')).toEqual([expect.objectContaining({ code: 'CIRCUIT_UNKNOWN' })]);
    expect(dep.calls).toBe(0);
  });
});
