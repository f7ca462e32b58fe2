import { describe, expect, it } from 'vitest';
import { errorCode } from '../observability/errors.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { continueStoredRun } from './resume.js';
import { createRun } from './runner.js';
import { noop, workflow } from './test-dsl.js';

const owner = { host: 'test', pid: process.pid, started_at: 1 };

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return errorCode(err);
  }
  throw new Error('expected a rejection');
}

describe('creating a run apart from driving it', () => {
  it('createRun records the run and returns at once; a driver starts it later, as runWorkflow would have', async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a'), noop('b', { depends_on: ['a'] })], { inputs: { env: { type: 'string', required: true } } });
    const { runId, state } = await createRun({ store, workflow: wf, inputs: { env: 'qa' } });
    expect(state.status).toBe('pending');
    const record = await store.runs.getRun(runId);
    expect(record).toMatchObject({ id: runId, status: 'pending' });
    expect(record?.owner).toBeUndefined();
    expect((await store.runs.readEvents(runId)).map((e) => e.type)).toEqual(['RunCreated']);

    const { state: ended } = await continueStoredRun({ store, runId, owner }, { kind: 'start' });
    expect(ended.status).toBe('succeeded');
    expect(ended.inputs).toEqual({ env: 'qa' });
    const types = (await store.runs.readEvents(runId)).map((e) => e.type);
    expect(types.slice(0, 2)).toEqual(['RunCreated', 'RunStarted']);
    expect(types).not.toContain('RunResumed');
    expect(types.at(-1)).toBe('RunSucceeded');
    // Started once: a second start is refused, as a finished run.
    expect(await rejection(continueStoredRun({ store, runId, owner }, { kind: 'start' }))).toBe('RUN_FINISHED');
  });

  it('bad inputs are refused before anything is recorded', async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a')], { inputs: { n: { type: 'number', required: true } } });
    expect(await rejection(createRun({ store, workflow: wf, inputs: {} }))).toMatch(/^INPUT_/);
    expect(await store.runs.listRuns()).toEqual([]);
  });

  it('resuming a run that never started starts it (nothing to go on with yet)', async () => {
    const store = createMemoryStore();
    const { runId } = await createRun({ store, workflow: workflow([noop('a')]) });
    const { state } = await continueStoredRun({ store, runId, owner }, { kind: 'resume' });
    expect(state.status).toBe('succeeded');
    expect((await store.runs.readEvents(runId)).map((e) => e.type)).not.toContain('RunResumed');
  });

  it('a run that started (and was interrupted) is resumed, not started again', async () => {
    const store = createMemoryStore();
    const { runId } = await createRun({ store, workflow: workflow([noop('a')]) });
    await store.runs.append(runId, [{ type: 'RunStarted', at: Date.now() }]);
    expect(await rejection(continueStoredRun({ store, runId, owner }, { kind: 'start' }))).toBe('RUN_ALREADY_STARTED');
    // Refused without keeping the run: another driver may take it.
    expect((await store.runs.getRun(runId))?.owner).toBeUndefined();
  });
});
