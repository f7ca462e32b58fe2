import { describe, expect, it } from 'vitest';
import { ExecutorError } from '../executors/errors.js';
import type { Executor } from '../executors/types.js';
import type { Workflow } from '../spec/model.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import { continueStoredRun } from './resume.js';
import { runWorkflow } from './runner.js';
import { noop, workflow } from './test-dsl.js';

/**
 * `baton retry` and the callbacks of what it runs again: a callback is decided again by its
 * trigger's new end, whatever it did the first time.
 */

/** Records the tasks it runs; those in `failing` fail (not retryable). */
function scripted(log: string[], failing: ReadonlySet<string>): Executor {
  return {
    async run(_task, io) {
      log.push(io.taskKey);
      await Promise.resolve();
      if (failing.has(io.taskKey)) throw new ExecutorError('EXEC_EXIT_CODE', `${io.taskKey} failed`, { retryable: false, exit_code: 1 });
      return { outputs: {}, exit_code: 0 };
    },
  };
}

async function first(wf: Workflow, failing: string[]): Promise<{ store: Store; runId: string; ran: string[] }> {
  const store = createMemoryStore();
  const ran: string[] = [];
  const { runId } = await runWorkflow({ store, workflow: wf, executors: () => scripted(ran, new Set(failing)) });
  return { store, runId, ran };
}

async function retry(store: Store, runId: string, failing: string[], from?: string) {
  const ran: string[] = [];
  const owner = { host: 'test-host', pid: 1, started_at: 1 };
  const { state } = await continueStoredRun(
    { store, runId, owner, executors: () => scripted(ran, new Set(failing)), stopLeftovers: async () => {} },
    from === undefined ? { kind: 'retry' } : { kind: 'retry', from },
  );
  return { state, ran };
}

const deploy = () =>
  workflow([
    noop('build'),
    noop('deploy', { depends_on: ['build'], on_failure: ['rollback'], on_success: ['announce'] }),
    noop('rollback'),
    noop('after-rollback', { depends_on: ['rollback'] }),
    noop('announce'),
  ]);

describe('retry runs the callbacks of what it runs again', () => {
  it('runs a rollback again when the retried deploy fails again', async () => {
    const { store, runId, ran } = await first(deploy(), ['deploy']);
    expect(ran).toEqual(['build', 'deploy', 'rollback', 'after-rollback']);
    const { state, ran: again } = await retry(store, runId, ['deploy']);
    expect(again).toEqual(['deploy', 'rollback', 'after-rollback']);
    expect(state.task('rollback')).toMatchObject({ status: 'succeeded', attempt: 2, trigger: 'deploy' });
    expect(state.task('announce').status).toBe('skipped');
    expect(state.status).toBe('failed');
  });

  it('skips the rollback and runs on_success when the retried deploy succeeds', async () => {
    const { store, runId } = await first(deploy(), ['deploy']);
    const { state, ran } = await retry(store, runId, []);
    expect(ran).toEqual(['deploy', 'announce']);
    expect(state.task('rollback')).toMatchObject({ status: 'skipped', reason: 'not triggered: deploy succeeded' });
    expect(state.task('after-rollback').status).toBe('skipped');
    expect(state.status).toBe('succeeded');
  });

  it('keeps the callbacks of tasks it keeps', async () => {
    const wf = workflow([
      noop('a', { on_failure: ['alert-a'] }),
      noop('b', { on_failure: ['alert-b'] }),
      noop('alert-a'),
      noop('alert-b'),
    ]);
    const { store, runId } = await first(wf, ['a', 'b']);
    // --from b: a stays failed and its alert stays as it ran.
    const { state, ran } = await retry(store, runId, ['b'], 'b');
    expect(ran).toEqual(['b', 'alert-b']);
    expect(state.task('alert-a')).toMatchObject({ status: 'succeeded', attempt: 1 });
  });

  it('runs a callback shared with a kept trigger that fired it, when the retried one does not', async () => {
    const wf = workflow([noop('k', { on_failure: ['alert'] }), noop('t', { on_failure: ['alert'] }), noop('alert')]);
    const { store, runId } = await first(wf, ['k', 't']);
    const { state, ran } = await retry(store, runId, ['k'], 't');
    expect(ran).toEqual(['t', 'alert']);
    expect(state.task('alert')).toMatchObject({ status: 'succeeded', trigger: 'k' });
  });
});
