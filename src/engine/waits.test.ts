import { describe, expect, it } from 'vitest';
import { ExecutorError } from '../executors/errors.js';
import type { Executor } from '../executors/types.js';
import { parseWorkflow } from '../spec/load.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { projectTasks } from '../store/projection.js';
import type { RunOwner, Store, TaskRecord } from '../store/store.js';
import { checkRunLog } from './check-log.js';
import { continueStoredRun, loadRun } from './resume.js';
import { runWorkflow } from './runner.js';
import { answerApproval, emitEvent, resolvePaused } from './steps/answer.js';

/**
 * The folds and decisions of a workflow file's waits (engine/waits.ts), in process on a
 * memory store: answers recorded as another process records them, runs picked up again as
 * `baton approve` does. Real processes and timeouts are tests/cli-waits.test.ts's.
 */
const owner: RunOwner = { host: 'test-host', pid: 1, started_at: 1 };
const ME = { names: ['alice'], roles: ['approver'] };

/** Shell tasks succeed, unless named in `failing`, which fail (retryable) with exit 3. */
function executor(failing: Set<string>, ran: string[]): Executor {
  return {
    async run(_task, io) {
      ran.push(io.taskKey);
      await new Promise((resolve) => setImmediate(resolve));
      if (failing.has(io.taskKey)) throw new ExecutorError('EXEC_EXIT_CODE', `${io.taskKey} exited with code 3`, { retryable: true, exit_code: 3 });
      return { outputs: { ran: io.taskKey }, exit_code: 0 };
    },
  };
}

async function start(yaml: string, failing = new Set<string>(), ran: string[] = []) {
  const loaded = parseWorkflow(yaml, 'flow.yaml');
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const store = createMemoryStore();
  const { runId, state } = await runWorkflow({ store, workflow: loaded.workflow!, owner, executors: () => executor(failing, ran), random: () => 0.5 });
  const goOn = () => continueStoredRun({ store, runId, owner, executors: () => executor(failing, ran), random: () => 0.5, stopLeftovers: async () => {} }, { kind: 'resume' });
  return { store, runId, status: state.status, goOn };
}

/** The task rows as a fold of the run's events alone (what rebuildProjection would write). */
async function refolded(store: Store, runId: string): Promise<TaskRecord[]> {
  const rows = new Map<string, TaskRecord>();
  for (const event of await store.runs.readEvents(runId)) for (const row of projectTasks(event, (key) => rows.get(key))) rows.set(row.key, row);
  return [...rows.values()];
}

async function statuses(store: Store, runId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await store.runs.listTasks(runId)).map((t) => [t.key, t.status]));
}

describe('approval tasks', () => {
  const FLOW = `name: gate
tasks:
  - id: go
    type: approval
    approvers: [alice]
    fallback:
      command: ./ask-again.sh
  - id: after
    depends_on: [go]
    command: ./after.sh
`;

  it('an answer recorded by another process leaves the task waiting until the driver takes it up; then it succeeds', async () => {
    const { store, runId, status, goOn } = await start(FLOW);
    expect(status).toBe('waiting');
    await answerApproval(store.runs, runId, 'go', { approved: true, by: 'alice@host', comment: 'ok' }, Date.now(), ME);
    // Recorded, deferred: the folds note it, nothing ends yet, and nothing is open to answer again.
    const events = await store.runs.readEvents(runId);
    expect(events.at(-1)).toMatchObject({ type: 'WaitAnswered', task: 'go', deferred: true });
    expect(await statuses(store, runId)).toEqual({ go: 'waiting', after: 'pending' });
    const state = await loadRun(store.runs, runId);
    expect(state.task('go')).toMatchObject({ status: 'waiting', answer: { approved: true, by: 'alice@host' } });
    await expect(answerApproval(store.runs, runId, 'go', { approved: false }, Date.now(), ME)).rejects.toMatchObject({ code: 'WAIT_NOT_FOUND' });

    const result = await goOn();
    expect(result.state.status).toBe('succeeded');
    expect(result.state.task('go').outputs).toMatchObject({ approved: true, by: 'alice@host', comment: 'ok' });
    expect(await store.runs.listTasks(runId)).toEqual(await refolded(store, runId));
    expect(checkRunLog(await store.runs.readEvents(runId))).toEqual([]);
  });

  it('a rejection is a failure like any: its fallback takes over', async () => {
    const ran: string[] = [];
    const { store, runId, goOn } = await start(FLOW, new Set(), ran);
    await answerApproval(store.runs, runId, undefined, { approved: false, by: 'alice@host', comment: 'no' }, Date.now(), ME);
    const result = await goOn();
    expect(result.state.status).toBe('succeeded');
    expect(ran).toEqual(['go', 'after']);
    const failed = (await store.runs.readEvents(runId)).find((e) => e.type === 'TaskFailed');
    expect(failed).toMatchObject({ task: 'go', error: { code: 'APPROVAL_REJECTED', message: 'rejected by alice@host: no' } });
    expect(result.state.task('go').fallbackFrom).toBe(2);
    expect(checkRunLog(await store.runs.readEvents(runId))).toEqual([]);
  });

  it('refuses an answer from someone the approvers do not name, by name or by role', async () => {
    const { store, runId } = await start(FLOW.replace('approvers: [alice]', 'approvers: [alice, role:admin]'));
    await expect(answerApproval(store.runs, runId, 'go', { approved: true }, Date.now(), { names: ['bob'], roles: ['approver'] })).rejects.toMatchObject({ code: 'APPROVAL_NOT_APPROVER' });
    await answerApproval(store.runs, runId, 'go', { approved: true }, Date.now(), { names: ['bob'], roles: ['admin'] });
  });
});

describe('on_failure: pause', () => {
  const FLOW = `name: paused
tasks:
  - id: check
    command: ./check.sh
    retry: {attempts: 2, delay: 1ms, jitter: 0}
    on_failure: pause
  - id: after
    depends_on: [check]
    command: ./after.sh
`;

  it('pauses once its attempts failed; retry gives it its whole policy again, abort fails it with who aborted it', async () => {
    const failing = new Set(['check']);
    const { store, runId, status, goOn } = await start(FLOW, failing);
    expect(status).toBe('waiting');
    const paused = await loadRun(store.runs, runId);
    expect(paused.task('check')).toMatchObject({ status: 'waiting', paused: true, attempt: 2, error: { code: 'EXEC_EXIT_CODE' } });
    expect(paused.waits).toEqual([{ task: 'check', kind: 'pause', error: { code: 'EXEC_EXIT_CODE', message: 'check exited with code 3' } }]);

    await resolvePaused(store.runs, runId, 'check', { resolution: 'retry', by: 'ops' });
    const again = await goOn();
    expect(again.state.status).toBe('waiting');
    expect(again.state.task('check')).toMatchObject({ status: 'waiting', paused: true, attempt: 4, attemptOffset: 2 });

    await resolvePaused(store.runs, runId, undefined, { resolution: 'abort', by: 'ops', comment: 'broken' });
    const ended = await goOn();
    expect(ended.state.status).toBe('failed');
    expect(ended.state.task('check').error).toMatchObject({ code: 'EXEC_EXIT_CODE', not_retried: 'aborted by ops (broken)' });
    expect(ended.state.task('after').status).toBe('skipped');
    expect(await store.runs.listTasks(runId)).toEqual(await refolded(store, runId));
    expect(checkRunLog(await store.runs.readEvents(runId))).toEqual([]);
  });

  it('skip: skipped, its dependants skipped, the run does not fail', async () => {
    const { store, runId, goOn } = await start(FLOW, new Set(['check']));
    await expect(resolvePaused(store.runs, runId, 'after', { resolution: 'skip' })).rejects.toMatchObject({ code: 'WAIT_NOT_FOUND' });
    await resolvePaused(store.runs, runId, 'check', { resolution: 'skip', by: 'ops' });
    const ended = await goOn();
    expect(ended.state.status).toBe('succeeded');
    expect(await statuses(store, runId)).toEqual({ check: 'skipped', after: 'skipped' });
  });
});

describe('wait tasks for an event', () => {
  it('delivers only what its filter takes, over the run\'s inputs and the outputs of tasks that ended', async () => {
    const { store, goOn } = await start(`name: order
inputs:
  order: {type: string, default: A-1}
tasks:
  - id: make
    command: ./make.sh
  - id: paid
    type: wait
    depends_on: [make]
    event: paid
    filter: event.data.order == inputs.order && event.data.by == tasks.make.outputs.ran
`);
    expect(await emitEvent(store.runs, 'paid', { order: 'A-1', by: 'someone' })).toEqual([]);
    expect(await emitEvent(store.runs, 'paid', { order: 'B-2', by: 'make' })).toEqual([]);
    const reached = await emitEvent(store.runs, 'paid', { order: 'A-1', by: 'make' });
    expect(reached.map((r) => r.tasks)).toEqual([['paid']]);
    const ended = await goOn();
    expect(ended.state.task('paid').outputs).toEqual({ event: 'paid', data: { order: 'A-1', by: 'make' } });
  });
});
