import { describe, expect, it } from 'vitest';
import { errorCode } from '../observability/errors.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { checkIdempotencyKey, fingerprintOf } from './run-key.js';
import { createRun, runWorkflow } from './runner.js';
import { noop, workflow } from './test-dsl.js';

const owner = { host: 'test', pid: process.pid, started_at: 1 };

async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return { code: errorCode(err), message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: errorCode(err), message: (err as Error).message };
  }
  throw new Error('expected an error');
}

describe('idempotency keys of run starts', () => {
  it('refuses keys that cannot name a request, with a code each and where', () => {
    expect(checkIdempotencyKey('deploy-42')).toBe('deploy-42');
    expect(checkIdempotencyKey('é'.repeat(255))).toHaveLength(255);
    expect(thrown(() => checkIdempotencyKey('', '--idempotency-key'))).toEqual({ code: 'RUN_IDEMPOTENCY_KEY_EMPTY', message: expect.stringContaining('--idempotency-key is empty') });
    expect(thrown(() => checkIdempotencyKey('   ')).code).toBe('RUN_IDEMPOTENCY_KEY_EMPTY');
    expect(thrown(() => checkIdempotencyKey('k'.repeat(256)))).toEqual({ code: 'RUN_IDEMPOTENCY_KEY_TOO_LONG', message: expect.stringContaining('256 characters') });
    expect(thrown(() => checkIdempotencyKey('a\nb'))).toEqual({ code: 'RUN_IDEMPOTENCY_KEY_INVALID', message: expect.stringContaining('(U+000A) at character 2') });
  });

  it('fingerprints the workflow and its inputs, whatever order the inputs came in', () => {
    expect(fingerprintOf('deploy', { a: 1, b: { y: [1, 2], x: 'q' } })).toBe(fingerprintOf('deploy', { b: { x: 'q', y: [1, 2] }, a: 1 }));
    expect(fingerprintOf('deploy', { a: 1 })).not.toBe(fingerprintOf('deploy', { a: 2 }));
    expect(fingerprintOf('deploy', { a: 1 })).not.toBe(fingerprintOf('build', { a: 1 }));
  });

  it('a second start with the key gets the first run, as it is now, and starts nothing', async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a')], { inputs: { n: { type: 'number', required: true } } });
    const first = await runWorkflow({ store, owner, workflow: wf, inputs: { n: '3' }, idempotency: { key: 'k1' } });
    expect(first.existing).toBeUndefined();
    expect(first.state.status).toBe('succeeded');
    expect((await store.runs.readEvents(first.runId))[0]).toMatchObject({ type: 'RunCreated', idempotency_key: 'k1' });
    // The CLI's string and the API's number are the same input once resolved.
    const again = await runWorkflow({ store, owner, workflow: wf, inputs: { n: 3 }, idempotency: { key: 'k1' } });
    expect(again).toMatchObject({ runId: first.runId, existing: true });
    expect(again.state.status).toBe('succeeded');
    const created = await createRun({ store, workflow: wf, inputs: { n: 3 }, idempotency: { key: 'k1' } });
    expect(created).toMatchObject({ runId: first.runId, existing: true });
    expect((await store.runs.listRuns()).map((r) => r.id)).toEqual([first.runId]);
  });

  it('a key reused with other inputs or another workflow is a conflict naming the run, and records nothing', async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a')], { name: 'deploy', inputs: { n: { type: 'number', required: true } } });
    const { runId } = await createRun({ store, workflow: wf, inputs: { n: 1 }, idempotency: { key: 'k1' } });
    const other = await rejection(createRun({ store, workflow: wf, inputs: { n: 2 }, idempotency: { key: 'k1' } }));
    expect(other.code).toBe('RUN_IDEMPOTENCY_CONFLICT');
    expect(other.message).toContain(`run ${runId} of deploy with other inputs`);
    const elsewhere = await rejection(runWorkflow({ store, owner, workflow: workflow([noop('a')], { name: 'build' }), idempotency: { key: 'k1' } }));
    expect(elsewhere.code).toBe('RUN_IDEMPOTENCY_CONFLICT');
    expect(elsewhere.message).toContain('workflow deploy, not build');
    expect(await store.runs.listRuns()).toHaveLength(1);
    // A bad key is refused before anything is recorded.
    expect((await rejection(createRun({ store, workflow: wf, inputs: { n: 1 }, idempotency: { key: '' } }))).code).toBe('RUN_IDEMPOTENCY_KEY_EMPTY');
  });

  it('a key is kept for the retention the start asks for: past it, the next start is a new run', async () => {
    const store = createMemoryStore();
    const wf = workflow([noop('a')]);
    let now = 1_700_000_000_000;
    const start = () => createRun({ store, workflow: wf, idempotency: { key: 'nightly', retentionMs: 60_000 }, now: () => now });
    const first = await start();
    now += 60_000;
    expect((await start()).runId).toBe(first.runId);
    now += 1;
    const second = await start();
    expect(second.existing).toBeUndefined();
    expect(second.runId).not.toBe(first.runId);
    expect((await store.runs.getRun(second.runId))?.idempotency_key).toBe('nightly');
  });
});
