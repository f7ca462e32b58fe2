import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ExecutorError } from '../executors/errors.js';
import type { Executor } from '../executors/types.js';
import type { TaskSpec, Workflow } from '../spec/model.js';
import type { StoredEvent, TimedEvent } from '../store/events.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { RunOwner, Store } from '../store/store.js';
import { continueStoredRun, replayRun, type ContinueMode } from './resume.js';
import { runWorkflow } from './runner.js';
import { StoreError } from '../store/errors.js';
import { conditional, legacyExpansion, loop, noop, parallel, shell, workflow } from './test-dsl.js';

const owner: RunOwner = { host: 'test-host', pid: 1, started_at: 1 };
/** A previous owner that is gone: this host, but no process with that pid started then. */
const other: RunOwner = { host: hostname(), pid: process.pid, started_at: 1 };

/**
 * A scripted executor that records every attempt it starts. `fails` lists task keys that
 * fail on their first attempt (a retry policy lets them go on); `broken` ones always fail.
 */
function scripted(log: string[], fails: Set<string> = new Set(), broken: Set<string> = new Set()): Executor {
  return {
    async run(_task, io) {
      log.push(io.taskKey);
      await new Promise((resolve) => setImmediate(resolve));
      if (broken.has(io.taskKey) || (fails.has(io.taskKey) && io.attempt === 1)) {
        throw new ExecutorError('EXEC_EXIT_CODE', `${io.taskKey} failed`, { retryable: true, exit_code: 1 });
      }
      return { outputs: { key: io.taskKey, idem: io.idempotencyKey }, exit_code: 0 };
    },
  };
}

/** A workflow touching every part of the scheduler that resume must rebuild. */
function rich(): Workflow {
  return workflow([
    noop('a'),
    noop('b', { depends_on: ['a'] }),
    parallel('fan', [noop('f1'), noop('f2'), noop('f3'), noop('f4')], { depends_on: ['b'], max_concurrency: 2 }),
    loop('seq', ['x', 'y', 'z'], noop('step'), { depends_on: ['a'] }),
    loop('par', [1, 2, 3, 4], noop('item'), { parallel: true, max_concurrency: 2, depends_on: ['a'] }),
    conditional('choose', "inputs.mode == 'fast'", noop('quick'), noop('slow')),
    noop('flaky', { depends_on: ['a'], retry: { attempts: 3, delay: 5, backoff: 'fixed', factor: 2, jitter: 0 } }),
    noop('notify', { depends_on: ['fan', 'seq', 'par', 'choose', 'flaky'], on_success: ['done'] }),
    noop('done'),
    noop('cleanup', { depends_on: ['notify'], condition: 'always()' }),
  ], { inputs: { mode: { type: 'string', default: 'fast', required: false } } } as Partial<Workflow>);
}

/** Records the events of each append, so a crash can be simulated at any commit. */
function recordingStore(batches: TimedEvent[][]): Store {
  const store = createMemoryStore();
  const append = store.runs.append.bind(store.runs);
  const create = store.runs.createRun.bind(store.runs);
  store.runs.createRun = async (run, events) => {
    batches.push(events.map((e) => ({ ...e })));
    return create(run, events);
  };
  store.runs.append = async (runId, events) => {
    batches.push(events.map((e) => ({ ...e })));
    return append(runId, events);
  };
  return store;
}

/** A store holding what a run had committed when its process died after `count` commits. */
async function crashedAt(batches: TimedEvent[][], count: number, runId: string, workflowName: string): Promise<Store> {
  const store = createMemoryStore();
  const [first, ...rest] = batches.slice(0, count);
  await store.runs.createRun({ id: runId, workflow: workflowName, created_at: first[0].at, owner: other }, strip(first));
  for (const batch of rest) await store.runs.append(runId, strip(batch));
  return store;
}

const strip = (events: TimedEvent[]): TimedEvent[] => events.map(({ seq: _seq, ...e }: TimedEvent & { seq?: number }) => e as TimedEvent);

const noLeftovers = async () => {};

async function resume(store: Store, runId: string, executor: Executor, mode: ContinueMode = { kind: 'resume' }) {
  return continueStoredRun({ store, runId, owner, executors: () => executor, random: () => 0.5, stopLeftovers: noLeftovers }, mode);
}

/** Failures of every kind: skips, callbacks, cleanup, continue_on_error, a stopped loop, a failed group. */
function failing(): Workflow {
  return workflow([
    noop('a'),
    noop('bad', { depends_on: ['a'], on_failure: ['alert'] }),
    noop('blocked', { depends_on: ['bad'] }),
    noop('tolerated', { depends_on: ['a'], continue_on_error: true }),
    noop('goes-on', { depends_on: ['tolerated'] }),
    loop('each', ['p', 'q', 'r'], noop('go'), { depends_on: ['a'] }),
    parallel('group', [noop('g1'), noop('g2'), noop('g3')], { depends_on: ['a'] }),
    noop('cleanup', { depends_on: ['blocked', 'each', 'group'], condition: 'always()' }),
    noop('alert'),
  ]);
}

const BROKEN = new Set(['bad', 'tolerated', 'each[q]', 'g2']);

describe('resume: a run rebuilt from its events goes on', () => {
  it.each([
    { name: 'a succeeding run', make: rich, fails: new Set(['flaky']), broken: new Set<string>(), status: 'succeeded' },
    { name: 'a failing run', make: failing, fails: new Set<string>(), broken: BROKEN, status: 'failed' },
  ])('ends $name as it would have without a crash after any commit, never re-running a recorded end', async ({ make, fails, broken, status }) => {
    const batches: TimedEvent[][] = [];
    const full: string[] = [];
    const { runId, state } = await runWorkflow({
      store: recordingStore(batches),
      workflow: make(),
      executors: () => scripted(full, fails, broken),
      random: () => 0.5,
    });
    expect(state.status).toBe(status);
    const expected = Object.fromEntries([...state.tasks].map(([k, t]) => [k, t.status]));
    expect(batches.length).toBeGreaterThan(10);

    for (let count = 1; count < batches.length; count++) {
      // A dead previous owner: claimable only because isOwnerGone says the pid is gone.
      const store = await crashedAt(batches, count, runId, 'test');
      const before = replayRun(runId, await store.runs.readEvents(runId));
      const endedBefore = [...before.tasks].filter(([, t]) => t.status === 'succeeded' || t.status === 'failed').map(([k]) => k);
      const again: string[] = [];
      const result = await continueStoredRun(
        { store, runId, owner, executors: () => scripted(again, fails, broken), random: () => 0.5, stopLeftovers: noLeftovers },
        { kind: 'resume' },
      ).catch((err: Error) => {
        throw new Error(`resume after commit ${count} of ${batches.length}: ${err.message}`);
      });
      const context = `crash after commit ${count} of ${batches.length}`;
      expect(result.state.status, context).toBe(status);
      expect(Object.fromEntries([...result.state.tasks].map(([k, t]) => [k, t.status])), context).toEqual(expected);
      for (const key of endedBefore) {
        const task = before.task(key);
        // A failure with retries left goes on; anything else that ended is never run again.
        if (task.status === 'failed' && fails.has(key)) continue;
        expect(again, `${context}: ${key} ran again`).not.toContain(key);
      }
      // The log replays to the same state the live engine ended with.
      const replayed = replayRun(runId, await store.runs.readEvents(runId));
      expect(replayed.status).toBe(status);
      for (const [key, task] of result.state.tasks) expect(replayed.task(key).status, `${context}: ${key}`).toBe(task.status);
    }
  });

  it('goes on with a run recorded before expansions were compact (every iteration with its spec), after any commit', async () => {
    const batches: TimedEvent[][] = [];
    const make = () =>
      workflow([
        noop('a'),
        loop('envs', ['qa', 'prod'], parallel('p', [noop('x'), loop('inner', [1, 2], noop('i'))]), { depends_on: ['a'] }),
        loop('hosts', ['h1', 'h2', 'h3'], conditional('c', 'true', noop('yes'), noop('no')), { parallel: true, max_concurrency: 2 }),
        noop('after', { depends_on: ['envs', 'hosts'] }),
      ]);
    const { runId, state } = await runWorkflow({ store: recordingStore(batches), workflow: make(), executors: () => scripted([]) });
    expect(state.status).toBe('succeeded');
    const legacy = batches.map((batch) => batch.map((e) => legacyExpansion(e, state.nodes.get((e as { task?: string }).task ?? '')?.spec ?? noop('x'))));
    const expanded = legacy.flat().filter((e) => e.type === 'TaskExpanded');
    expect(expanded).toHaveLength(4);
    expect(expanded.every((e) => 'children' in e && !('items' in e))).toBe(true);
    const expected = Object.fromEntries([...state.tasks].map(([k, t]) => [k, t.status]));
    for (let count = 1; count < legacy.length; count++) {
      const store = await crashedAt(legacy, count, runId, 'test');
      const result = await resume(store, runId, scripted([]));
      const context = `crash after commit ${count} of ${legacy.length}`;
      expect(result.state.status, context).toBe('succeeded');
      expect(Object.fromEntries([...result.state.tasks].map(([k, t]) => [k, t.status])), context).toEqual(expected);
      // The store's task rows come from the recorded children as they did.
      expect(new Set((await store.runs.listTasks(runId)).map((t) => t.key)), context).toEqual(new Set(state.tasks.keys()));
    }
  });

  it('runs an interrupted attempt again as a new attempt with the same idempotency key, outside the retry budget', async () => {
    const batches: TimedEvent[][] = [];
    const wf = workflow([noop('only', { retry: { attempts: 1, delay: 0, backoff: 'fixed', factor: 2, jitter: 0 } })]);
    const { runId } = await runWorkflow({ store: recordingStore(batches), workflow: wf, executors: () => scripted([]) });
    // Commits: RunCreated; RunStarted+Ready+Started; Succeeded+RunSucceeded. Crash while it ran.
    const store = await crashedAt(batches, 2, runId, 'test');
    const seen: string[] = [];
    const keys: unknown[] = [];
    const exec: Executor = {
      async run(_t, io) {
        seen.push(`${io.taskKey}#${io.attempt}`);
        keys.push(io.idempotencyKey);
        return { outputs: {} };
      },
    };
    const { state } = await resume(store, runId, exec);
    expect(state.status).toBe('succeeded');
    expect(seen).toEqual(['only#2']);
    expect(keys).toEqual([`${runId}/only`]);
    const events = await store.runs.readEvents(runId);
    expect(events.map((e) => e.type)).toContain('TaskInterrupted');
    expect(events.map((e) => e.type)).toContain('RunResumed');
  });

  it('keeps a retry back-off due time across a resume', async () => {
    const batches: TimedEvent[][] = [];
    const wf = workflow([noop('slow', { retry: { attempts: 2, delay: 400, backoff: 'fixed', factor: 2, jitter: 0 } })]);
    const store0 = recordingStore(batches);
    const { runId } = await runWorkflow({ store: store0, workflow: wf, executors: () => scripted([], new Set(['slow'])) });
    const index = batches.findIndex((b) => b.some((e) => e.type === 'TaskRetryScheduled'));
    const due = (batches[index].find((e) => e.type === 'TaskRetryScheduled') as { at_due: number }).at_due;
    const store = await crashedAt(batches, index + 1, runId, 'test');
    let startedAt = 0;
    const exec: Executor = {
      async run() {
        startedAt = Date.now();
        return { outputs: {} };
      },
    };
    const { state } = await resume(store, runId, exec);
    expect(state.status).toBe('succeeded');
    expect(startedAt).toBeGreaterThanOrEqual(due - 5);
  });

  it('lets an interrupted sleep wait only for what was left of it', async () => {
    const batches: TimedEvent[][] = [];
    const nap = { ...noop('nap'), type: 'sleep', duration: 800 } as unknown as TaskSpec;
    const { runId } = await runWorkflow({ store: recordingStore(batches), workflow: workflow([nap]) });
    const started = batches.flat().find((e) => e.type === 'TaskStarted')!.at;
    const store = await crashedAt(batches, 2, runId, 'test');
    const before = Date.now();
    const { state } = await continueStoredRun({ store, runId, owner, stopLeftovers: noLeftovers }, { kind: 'resume' });
    expect(state.status).toBe('succeeded');
    // The first attempt started over 800 ms ago: its due time has passed, so no new wait.
    expect(before - started).toBeGreaterThanOrEqual(790);
    expect(Date.now() - before).toBeLessThan(400);
  });

  it('refuses a run another live process holds, saying who', async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a')]);
    await store.runs.createRun({ id: 'R1', workflow: 'test', created_at: 1, owner: { host: 'elsewhere', pid: 7, started_at: 1 } }, [
      { type: 'RunCreated', workflow: wf, inputs: {}, env: {}, at: 1 },
    ]);
    await store.runs.heartbeat('R1', { host: 'elsewhere', pid: 7, started_at: 1 }, Date.now());
    await expect(resume(store, 'R1', scripted([]))).rejects.toMatchObject({ code: 'RUN_HELD', message: expect.stringContaining('pid 7 on elsewhere') });
  });

  it('refuses to resume a finished run and points to retry', async () => {
    const store = createMemoryStore();
    const { runId } = await runWorkflow({ store, workflow: workflow([noop('a')]), executors: () => scripted([]) });
    await expect(resume(store, runId, scripted([]))).rejects.toMatchObject({ code: 'RUN_FINISHED', message: expect.stringContaining('baton retry') });
  });

  it('keeps the sandbox a run was created in, for resume and retry to enter again', async () => {
    const store = createMemoryStore();
    const sandbox = { mode: 'workspace-write' as const, network: false, writable: ['/work/app', '/work/out'] };
    const { runId, state } = await runWorkflow({ store, workflow: workflow([noop('a')]), executors: () => scripted([]), sandbox });
    expect(state.sandbox).toEqual(sandbox);
    const [created] = await store.runs.readEvents(runId);
    expect(created).toMatchObject({ type: 'RunCreated', sandbox });
    expect(replayRun(runId, await store.runs.readEvents(runId)).sandbox).toEqual(sandbox);
    // Unsandboxed: no field at all, as in the runs recorded before sandboxes.
    const plain = await runWorkflow({ store, workflow: workflow([noop('a')]), executors: () => scripted([]) });
    expect(Object.keys((await store.runs.readEvents(plain.runId))[0])).not.toContain('sandbox');
    expect(plain.state.sandbox).toBeUndefined();
  });

  it('cancels an interrupted run, letting always() cleanup run', async () => {
    const batches: TimedEvent[][] = [];
    const wf = workflow([noop('a'), noop('b', { depends_on: ['a'] }), noop('cleanup', { depends_on: ['b'], condition: 'always()' })]);
    const { runId } = await runWorkflow({ store: recordingStore(batches), workflow: wf, executors: () => scripted([]) });
    const store = await crashedAt(batches, 2, runId, 'test');
    const ran: string[] = [];
    const { state } = await resume(store, runId, scripted(ran), { kind: 'cancel', reason: 'cancelled by baton cancel' });
    expect(state.status).toBe('cancelled');
    expect(ran).toEqual(['cleanup']);
    expect(state.task('a').status).toBe('cancelled');
  });
});

describe('retry: a new attempt of a finished run', () => {
  async function failedRun(wf: Workflow, broken: string[]) {
    const store = createMemoryStore();
    const first: string[] = [];
    const { runId, state } = await runWorkflow({ store, workflow: wf, executors: () => scripted(first, new Set(), new Set(broken)) });
    expect(state.status).toBe('failed');
    return { store, runId, first };
  }

  it('re-runs what failed and what it blocked, keeping what succeeded', async () => {
    const wf = workflow([noop('a'), noop('b', { depends_on: ['a'] }), noop('c', { depends_on: ['b'] }), noop('side', { depends_on: ['a'] })]);
    const { store, runId } = await failedRun(wf, ['b']);
    const again: string[] = [];
    const { state } = await resume(store, runId, scripted(again), { kind: 'retry' });
    expect(state.status).toBe('succeeded');
    expect(again).toEqual(['b', 'c']);
    expect(state.task('b').attempt).toBe(2);
    const events: StoredEvent[] = await store.runs.readEvents(runId);
    expect(events.find((e) => e.type === 'RunReopened')).toMatchObject({ tasks: ['b', 'c'] });
  });

  it('re-runs only the failed iterations of a loop', async () => {
    const wf = workflow([loop('each', ['p', 'q', 'r'], noop('go'), { parallel: true }), noop('after', { depends_on: ['each'] })]);
    const { store, runId } = await failedRun(wf, ['each[q]']);
    const again: string[] = [];
    const { state } = await resume(store, runId, scripted(again), { kind: 'retry' });
    expect(state.status).toBe('succeeded');
    expect(again.sort()).toEqual(['after', 'each[q]']);
    expect(state.task('each').outputs).toMatchObject({ results: [{ key: 'each[p]' }, { key: 'each[q]' }, { key: 'each[r]' }] });
  });

  it('--from re-runs that task and everything after it, even what succeeded', async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a'), noop('b', { depends_on: ['a'] }), noop('c', { depends_on: ['b'] }), noop('other')]);
    const { runId } = await runWorkflow({ store, workflow: wf, executors: () => scripted([]) });
    const again: string[] = [];
    const { state } = await resume(store, runId, scripted(again), { kind: 'retry', from: 'b' });
    expect(state.status).toBe('succeeded');
    expect(again).toEqual(['b', 'c']);
    await expect(resume(store, runId, scripted([]), { kind: 'retry', from: 'nope' })).rejects.toMatchObject({ code: 'RUN_UNKNOWN_TASK' });
    await expect(resume(store, runId, scripted([]), { kind: 'retry' })).rejects.toMatchObject({ code: 'RUN_NOTHING_TO_RETRY' });
  });

  it('retries a run that failed in every way, running only what did not succeed', async () => {
    const { store, runId } = await failedRun(failing(), [...BROKEN]);
    const again: string[] = [];
    const { state } = await resume(store, runId, scripted(again), { kind: 'retry' });
    expect(state.status).toBe('succeeded');
    expect(again.sort()).toEqual(['bad', 'blocked', 'each[q]', 'each[r]', 'g2', 'tolerated']);
  });

  it('gives a retried task its whole retry budget again', async () => {
    const wf = workflow([noop('t', { retry: { attempts: 2, delay: 0, backoff: 'fixed', factor: 2, jitter: 0 } })]);
    const { store, runId, first } = await failedRun(wf, ['t']);
    expect(first).toEqual(['t', 't']);
    const again: string[] = [];
    const { state } = await resume(store, runId, scripted(again, new Set(['t'])), { kind: 'retry' });
    expect(state.task('t').attempt).toBeGreaterThanOrEqual(3);
    expect(state.status).toBe('succeeded');
  });
});

describe('a store that fails under a run', () => {
  it('stops the run when output cannot be stored, leaving it to be resumed', async () => {
    const store = createMemoryStore();
    store.logs.write = () => {
      throw new StoreError('STORE_DISK_FULL', 'no space left for the logs');
    };
    const wf = workflow([shell('talk', 'echo hello; sleep 5'), shell('after', 'true', { depends_on: ['talk'] })]);
    const before = Date.now();
    let runId = '';
    await expect(
      runWorkflow({ store, workflow: wf, onEvent: (e, state) => (runId = state.runId) }),
    ).rejects.toMatchObject({ code: 'STORE_DISK_FULL' });
    // The task was stopped, not waited for.
    expect(Date.now() - before).toBeLessThan(4000);
    expect((await store.runs.getRun(runId))?.status).toBe('running');
  });
});
