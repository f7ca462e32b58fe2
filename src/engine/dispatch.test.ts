import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../spec/load.js';
import type { Workflow } from '../spec/model.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import { continueStoredRun } from './resume.js';
import { createRun } from './runner.js';

const owner = { host: 'test', pid: process.pid, started_at: 1 };

function load(text: string): Workflow {
  const { workflow, diagnostics } = parseWorkflow(text, 'flow.yaml');
  if (workflow === undefined) throw new Error(JSON.stringify(diagnostics));
  return workflow;
}

/**
 * Creates a run for workers of `runQueue` and drives it here, while a stand-in worker
 * subscribed to every queue of `queues` runs each item it claims (a success). Returns
 * the queue each task's item waited in, as the worker claimed it.
 */
async function queuesOfRun(workflow: Workflow, runQueue: string, queues: string[]): Promise<{ status: string; queueOf: Record<string, string> }> {
  const store: Store = createMemoryStore();
  const { runId } = await createRun({ store, workflow, workers: { queue: runQueue } });
  const queueOf: Record<string, string> = {};
  const stop = new AbortController();
  const worker = (async () => {
    while (!stop.signal.aborted) {
      const claims = await store.work.claim({ worker: 'w1', queues, limit: 10, leaseMs: 30_000 });
      for (const item of claims) queueOf[item.task] = item.queue;
      if (claims.length > 0) await store.work.complete('w1', claims.map((c) => ({ id: c.id, fence: c.fence, result: { ok: true, outputs: {} } })));
      else await store.work.waitForWork(queues, { timeoutMs: 50, signal: stop.signal });
    }
  })();
  try {
    const { state } = await continueStoredRun({ store, runId, owner }, { kind: 'start' });
    return { status: state.status, queueOf };
  } finally {
    stop.abort();
    await worker;
  }
}

describe('the queue of a work item', () => {
  it("is the task's own, else its composite's, else the run's", async () => {
    const workflow = load(`
name: train
tasks:
  - id: fetch
    command: ./fetch.sh
  - id: fit
    command: ./fit.sh
    queue: gpu
    depends_on: fetch
  - id: each
    type: loop
    items: [1, 2]
    queue: gpu
    task: { command: echo }
`);
    const { status, queueOf } = await queuesOfRun(workflow, 'q1', ['q1', 'gpu', 'default']);
    expect(status).toBe('succeeded');
    expect(queueOf).toEqual({ fetch: 'q1', fit: 'gpu', 'each[1]': 'gpu', 'each[2]': 'gpu' });
  });

  it("takes the workflow's queue over the run's for the tasks that name none", async () => {
    const workflow = load(`
name: train
queue: cpu
tasks:
  - id: fetch
    command: ./fetch.sh
  - id: fit
    command: ./fit.sh
    queue: gpu
`);
    const { status, queueOf } = await queuesOfRun(workflow, 'q1', ['q1', 'gpu', 'cpu', 'default']);
    expect(status).toBe('succeeded');
    expect(queueOf).toEqual({ fetch: 'cpu', fit: 'gpu' });
  });
});
