/**
 * Shared pieces of the store contract tests: a fresh store per test, event builders, and
 * a reference fold (the task rows a store must show for a list of events).
 */
import { afterEach, beforeEach } from 'vitest';
import type { DynamicTask, TaskError, TimedEvent } from './events.js';
import { projectTasks } from './projection.js';
import { compactTask } from './records.js';
import type { Store, TaskRecord } from './store.js';

/** Makes a fresh, empty store for one test. */
export type MakeStore = () => Store | Promise<Store>;

/** Gives each test of the enclosing describe a fresh store, closed after it. */
export function useStore(makeStore: MakeStore): () => Store {
  let store: Store | undefined;
  beforeEach(async () => {
    store = await makeStore();
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });
  return () => {
    if (!store) throw new Error('no store outside a test');
    return store;
  };
}

export const T0 = 1_700_000_000_000;

export const ev = {
  created: (at = T0): TimedEvent => ({ type: 'RunCreated', workflow: { name: 'deploy', tasks: [] }, inputs: { env: 'qa' }, env: {}, at }),
  started: (at = T0): TimedEvent => ({ type: 'RunStarted', at }),
  ready: (task: string, at = T0): TimedEvent => ({ type: 'TaskReady', task, at }),
  start: (task: string, attempt: number, at = T0): TimedEvent => ({ type: 'TaskStarted', task, attempt, at }),
  ok: (task: string, attempt: number, at = T0, outputs: Record<string, unknown> = {}): TimedEvent => ({
    type: 'TaskSucceeded',
    task,
    attempt,
    outputs,
    exit_code: 0,
    at,
  }),
  fail: (task: string, attempt: number, at = T0, error: TaskError = { code: 'EXEC_EXIT_CODE', message: 'exit 2', exit_code: 2 }): TimedEvent => ({
    type: 'TaskFailed',
    task,
    attempt,
    error,
    retryable: true,
    at,
  }),
  retry: (task: string, attempt: number, due: number, at = T0): TimedEvent => ({ type: 'TaskRetryScheduled', task, attempt, at_due: due, at }),
  skip: (task: string, reason: string, at = T0): TimedEvent => ({ type: 'TaskSkipped', task, reason, at }),
  cancel: (task: string, reason: string, at = T0): TimedEvent => ({ type: 'TaskCancelled', task, reason, at }),
  expand: (task: string, keys: string[], at = T0): TimedEvent => ({
    type: 'TaskExpanded',
    task,
    children: keys.map((key, index): DynamicTask => ({ key, parent: task, spec: { id: key, type: 'shell' }, index, item: index, after: [] })),
    at,
  }),
  branched: (task: string, at = T0): TimedEvent => ({ type: 'TaskBranched', task, branch: 'then', condition: true, at }),
  reopened: (tasks: string[], at = T0): TimedEvent => ({ type: 'RunReopened', tasks, at }),
  succeeded: (at = T0): TimedEvent => ({ type: 'RunSucceeded', at }),
  failed: (at = T0): TimedEvent => ({ type: 'RunFailed', error: { code: 'RUN_TASK_FAILED', message: 'task b failed' }, at }),
  cancelled: (reason: string, at = T0): TimedEvent => ({ type: 'RunCancelled', reason, at }),
};

/** The task rows `events` project to, folded here independently of any store. */
export function expectedTasks(events: TimedEvent[]): TaskRecord[] {
  const rows = new Map<string, TaskRecord>();
  for (const event of events) for (const row of projectTasks(event, (key) => rows.get(key))) rows.set(row.key, row);
  return [...rows.values()].map(compactTask);
}

/**
 * A run with most of what happens in real ones, in the batches an engine would append:
 * parallel tasks, a failure and its retry, a loop expanded into children, a skip, a
 * cancellation, a failed run, then `baton retry` reopening it until it succeeds.
 */
export function realisticRun(): TimedEvent[][] {
  let t = T0;
  const at = () => (t += 7);
  return [
    [ev.created(at()), ev.started(at()), ev.ready('build', at()), ev.start('build', 1, at())],
    [ev.ok('build', 1, at(), { image: 'app:1.2.3', size: 42 }), ev.ready('test', at()), ev.ready('lint', at()), ev.start('test', 1, at()), ev.start('lint', 1, at())],
    [ev.fail('test', 1, at()), ev.retry('test', 1, t + 1000)],
    [ev.ok('lint', 1, at()), ev.ready('test', at()), ev.start('test', 2, at())],
    [ev.ok('test', 2, at()), ev.ready('envs', at()), ev.start('envs', 1, at()), ev.expand('envs', ['envs[qa]', 'envs[prod]'], at())],
    [ev.ready('envs[qa]', at()), ev.start('envs[qa]', 1, at())],
    [ev.fail('envs[qa]', 1, at(), { code: 'EXEC_TIMEOUT', message: 'timed out after 5s' }), ev.skip('envs[prod]', 'envs[qa] failed', at())],
    [ev.branched('notify', at()), ev.cancel('notify', 'run failed', at()), ev.failed(at())],
    [ev.reopened(['envs', 'envs[qa]', 'envs[prod]', 'notify'], at())],
    [ev.ready('envs[qa]', at()), ev.start('envs[qa]', 2, at()), ev.ok('envs[qa]', 2, at(), { url: 'https://qa.example' })],
    [ev.ready('envs[prod]', at()), ev.start('envs[prod]', 1, at()), ev.ok('envs[prod]', 1, at())],
    [ev.ok('envs', 1, at()), ev.ready('notify', at()), ev.start('notify', 1, at()), ev.ok('notify', 1, at()), ev.succeeded(at())],
  ];
}
