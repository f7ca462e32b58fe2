import { describe, expect, it } from 'vitest';
import type { DynamicTask, StoredEvent, TimedEvent } from '../store/events.js';
import { checkRunLog } from './check-log.js';
import { ExecutorError } from '../executors/errors.js';
import { executorFor } from '../executors/registry.js';
import type { Executor } from '../executors/types.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { continueStoredRun } from './resume.js';
import { runWorkflow } from './runner.js';
import { conditional, legacyExpansion, loop, noop, parallel, runTest, workflow } from './test-dsl.js';

const events = (run: { events: StoredEvent[] }): TimedEvent[] => run.events.map(({ seq: _seq, ...e }) => e as TimedEvent);

/** A workflow with every kind of event: loops (nested, parallel), callbacks, retries, a conditional. */
const everything = () =>
  workflow([
    noop('build', { retry: { attempts: 3, delay: 1, backoff: 'fixed', factor: 2, jitter: 0 } }),
    loop('envs', ['qa', 'prod'], parallel('p', [noop('a'), loop('inner', [1, 2], noop('i'))]), { depends_on: ['build'] }),
    loop('hosts', ['h1', 'h2', 'h3'], noop('h'), { depends_on: ['build'], parallel: true, stop_on_failure: false }),
    conditional('when', "${{ 'x' == 'x' }}", noop('yes'), noop('no')),
    noop('deploy', { depends_on: ['envs', 'hosts'], on_failure: ['rollback'], on_success: ['announce'] }),
    noop('rollback'),
    noop('announce'),
    noop('broken', { condition: '${{ fromJSON(\'{\') }}' }),
  ]);

describe('checkRunLog: logs the engine writes pass', () => {
  it('a run with loops, callbacks, retries, a conditional and failures', async () => {
    const run = await runTest(everything(), { build: ['fail', 'ok'], 'hosts[h2]': ['fail-permanent'], deploy: ['fail-permanent'] });
    expect(run.state.status).toBe('failed');
    expect(checkRunLog(events(run))).toEqual([]);
  });

  it('the same run retried (RunReopened, new attempts), and a cancelled run', async () => {
    const store = createMemoryStore();
    const failing = new Set(['hosts[h2]', 'deploy']);
    const executor: Executor = {
      async run(_task, io) {
        await Promise.resolve();
        if (failing.has(io.taskKey)) throw new ExecutorError('EXEC_EXIT_CODE', 'failed on cue', { retryable: false, exit_code: 1 });
        return { outputs: {}, exit_code: 0 };
      },
    };
    const { runId } = await runWorkflow({ store, workflow: everything(), executors: (type) => (type === 'noop' ? executor : executorFor(type)) });
    failing.clear();
    const owner = { host: 'test-host', pid: 1, started_at: 1 };
    const retried = await continueStoredRun({ store, runId, owner, executors: (type) => (type === 'noop' ? executor : executorFor(type)), stopLeftovers: async () => {} }, { kind: 'retry' });
    expect(retried.state.task('hosts[h2]').attempt).toBe(2);
    expect(retried.state.task('deploy').status).toBe('succeeded');
    const log = (await store.runs.readEvents(runId)).map(({ seq: _seq, ...e }) => e as TimedEvent);
    expect(log.some((e) => e.type === 'RunReopened')).toBe(true);
    expect(checkRunLog(log)).toEqual([]);

    const controller = new AbortController();
    const cancelled = await runTest(workflow([noop('slow'), noop('after', { depends_on: ['slow'] })]), { slow: [{ wait: 5000 }] }, {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'TaskStarted') controller.abort();
      },
    });
    expect(cancelled.state.status).toBe('cancelled');
    expect(checkRunLog(events(cancelled))).toEqual([]);
  });
});

describe('checkRunLog: logs the engine could not have written are refused', () => {
  const base = async () => events(await runTest(workflow([noop('a'), noop('b', { depends_on: ['a'] })])));

  it('a task the snapshot does not have', async () => {
    const log = await base();
    log.splice(log.length - 1, 0, { type: 'TaskSucceeded', task: 'ghost', attempt: 1, outputs: {}, at: 1 });
    expect(checkRunLog(log)).toEqual([
      { index: log.length - 2, code: 'IMPORT_UNKNOWN_TASK', message: "TaskSucceeded names task 'ghost', which the run's workflow snapshot (RunCreated) does not have" },
    ]);
  });

  it('a success with no start, an attempt that goes back, a retry with no failure', async () => {
    const log = await base();
    const withoutStart = log.filter((e) => !(e.type === 'TaskStarted' && e.task === 'b'));
    expect(checkRunLog(withoutStart)).toMatchObject([{ code: 'IMPORT_ORDER', message: expect.stringMatching(/^TaskSucceeded of b \(attempt 1\) while it is ready: a task succeeds only after TaskStarted/) }]);
    const zero = log.map((e) => (e.type === 'TaskStarted' && e.task === 'b' ? { ...e, attempt: 0 } : e));
    expect(checkRunLog(zero)[0].message).toMatch(/each attempt is numbered higher/);
    const at = log.findIndex((e) => e.type === 'TaskSucceeded' && e.task === 'a');
    const retry = [...log.slice(0, at), { type: 'TaskRetryScheduled', task: 'a', attempt: 2, at_due: 2, at: 1 } as TimedEvent, ...log.slice(at)];
    expect(checkRunLog(retry)[0]).toMatchObject({ index: at, code: 'IMPORT_ORDER' });
  });

  it('the run lifecycle out of order', async () => {
    const log = await base();
    expect(checkRunLog([...log, { type: 'RunStarted', at: 9 }])[0].message).toBe('RunStarted, but the run is already over');
    expect(checkRunLog([...log, { type: 'TaskReady', task: 'a', at: 9 }])[0].message).toMatch(/^TaskReady of a while the run is over/);
    expect(checkRunLog(log.filter((e) => e.type !== 'RunStarted'))[0].message).toMatch(/while the run is not started/);
    expect(checkRunLog([log[0], log[0]])[0].message).toBe('a second RunCreated: a run is created once');
  });

  it('a compact expansion the snapshot\'s loop would not make', async () => {
    const log = events(await runTest(workflow([loop('envs', ['qa', 'prod'], noop('deploy'))])));
    const expanded = log.findIndex((e) => e.type === 'TaskExpanded');
    expect(log[expanded]).toMatchObject({ items: ['qa', 'prod'], labels: 'item', sequential: true, order_only: false });
    expect(checkRunLog(log)).toEqual([]);
    const forge = (change: Record<string, unknown>) => checkRunLog(log.map((e, i) => (i === expanded ? ({ ...e, ...change } as TimedEvent) : e)));
    expect(forge({ labels: 'index' })[0]).toMatchObject({ index: expanded, code: 'IMPORT_EXPANSION', message: expect.stringContaining('`labels` is "index", where the loop makes "item"') });
    expect(forge({ sequential: false })[0].message).toContain('`sequential` is false');
    expect(forge({ nested: ['[0]'] })[0].message).toContain('`nested` is ["[0]"], where the loop makes none');
    expect(forge({ items: 'qa' })[0].message).toContain('`items` is not a list');
    // Iterations of a different list are still what the loop makes of it: the later events then name unknown tasks.
    expect(forge({ items: ['qa', 'dev'] })[0]).toMatchObject({ code: 'IMPORT_UNKNOWN_TASK', message: expect.stringContaining("'envs[prod]'") });
  });

  it('loop iterations the snapshot\'s loop would not make (a run recorded with every child)', async () => {
    const run = await runTest(workflow([loop('envs', ['qa', 'prod'], noop('deploy'))]));
    const log = events(run).map((e) => (e.type === 'TaskExpanded' ? legacyExpansion(e, run.state.nodes.get('envs')!.spec) : e));
    expect(checkRunLog(log)).toEqual([]);
    const expanded = log.findIndex((e) => e.type === 'TaskExpanded');
    const forge = (change: (children: DynamicTask[]) => void) => {
      const copy = structuredClone(log);
      change((copy[expanded] as { children: DynamicTask[] }).children);
      return checkRunLog(copy);
    };
    expect(forge((c) => (c[1].key = 'envs[ghost]'))[0]).toMatchObject({ index: expanded, code: 'IMPORT_EXPANSION', message: expect.stringContaining("task 2 is 'envs[ghost]', where the loop makes 'envs[prod]'") });
    expect(forge((c) => ((c[0].spec as { type: string; command?: string }).type = 'shell'))[0].message).toContain('envs[qa] differs from the loop');
    expect(forge((c) => c.push({ ...c[0], key: 'x' }))[0].code).toBe('IMPORT_EXPANSION');
  });

  it('a sandbox that resume could not enter as recorded; a good one passes, as does none (runs recorded before it)', () => {
    const created = (sandbox?: unknown): TimedEvent => ({ type: 'RunCreated', workflow: { tasks: [] }, inputs: {}, env: {}, at: 1, ...(sandbox === undefined ? {} : { sandbox }) }) as TimedEvent;
    expect(checkRunLog([created()])).toEqual([]);
    expect(checkRunLog([created({ mode: 'workspace-write', network: false, writable: ['/work/app'] })])).toEqual([]);
    const bad = (sandbox: unknown) => checkRunLog([created(sandbox)])[0];
    expect(bad({ mode: 'off', network: false, writable: ['/a'] })).toMatchObject({ index: 0, code: 'IMPORT_SANDBOX', message: 'the sandbox in RunCreated cannot be used: its mode is "off", not "workspace-write"' });
    expect(bad({ mode: 'workspace-write', network: 'yes', writable: ['/a'] })?.message).toContain('`network` is not true or false');
    expect(bad({ mode: 'workspace-write', network: false, writable: ['relative'] })?.message).toContain('`writable` is not a list of absolute folders');
    expect(bad({ mode: 'workspace-write', network: false, writable: [] })?.code).toBe('IMPORT_SANDBOX');
    expect(bad('workspace-write')?.message).toContain('it is not an object');
  });

  it('a snapshot that cannot be used', () => {
    expect(checkRunLog([{ type: 'RunCreated', workflow: { tasks: [{ id: 'a' }] }, inputs: {}, env: {}, at: 1 }])[0]).toMatchObject({
      code: 'IMPORT_SNAPSHOT',
      message: "the workflow snapshot in RunCreated cannot be used: task 'a' has no known type",
    });
  });
});
