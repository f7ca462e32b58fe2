/**
 * A firing's run is found again after a crash: the hub names each firing's run
 * (firingRunId), so a delivery that comes again after its firing was recorded, and its run
 * not (the process died in between, or was stopping), starts that run once; and a run
 * recorded whose firing was never told so is taken as the one. The crashed process is
 * played by writing to the store what it had written when it died.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Trigger } from '../spec/model.js';
import type { Store } from '../store/store.js';
import { Daemon } from './daemon.js';
import { firingRunId } from './trigger-hub.js';

const TRIGGER: Trigger = { type: 'message', config: { url: 'amqp://127.0.0.1', queue: 'q' } };
const daemons: Daemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop(2000);
});

async function served(): Promise<{ daemon: Daemon; store: Store }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-hub-'));
  writeFileSync(path.join(dir, 'flow.yaml'), 'name: flow\ntasks:\n  - id: a\n    type: noop\n');
  const store = createMemoryStore();
  const daemon = new Daemon({ store, workflowsDir: dir, owner: { host: 'test', pid: process.pid, started_at: 1 }, log: () => {} });
  daemons.push(daemon);
  await daemon.loadWorkflows();
  return { daemon, store };
}

const firable = (delivery: string) => ({ workflow: 'flow', trigger: TRIGGER, source: 'q', delivery, data: { type: 'message' as const, at: new Date().toISOString() } });

/** What a process that died after recording the firing had left. */
async function firingOfDeadProcess(store: Store, delivery: string, extra: { outcome?: 'started' | 'failed'; code?: string } = {}) {
  const recorded = await store.triggers.recordFiring({ namespace: 'default', workflow: 'flow', trigger: 'message', source: 'q', at: Date.now(), outcome: extra.outcome ?? 'started', delivery, ...(extra.code ? { code: extra.code, reason: 'the server is stopping' } : {}) });
  if (!('firing' in recorded)) throw new Error('recorded twice');
  return recorded.firing;
}

describe('trigger hub: a delivery again after a crash', () => {
  it('starts the run its first firing never recorded, under the id that firing gave it, once', async () => {
    const { daemon, store } = await served();
    const hub = daemon.catalog('default').hub;
    const earlier = await firingOfDeadProcess(store, 'amqp:q:m-1');
    const fired = await hub.fire(firable('amqp:q:m-1'));
    expect(fired).toMatchObject({ started: true, runId: firingRunId('default', earlier) });
    // The same delivery a third time: a duplicate now, no second run.
    const again = await hub.fire(firable('amqp:q:m-1'));
    expect(again).toMatchObject({ started: false, error: { code: 'MESSAGE_DUPLICATE' } });
    expect(await store.runs.listRuns({ workflow: 'flow' })).toHaveLength(1);
    const firings = await store.triggers.listFirings({ workflow: 'flow' });
    expect(firings.map((f) => [f.outcome, f.run_id])).toEqual([
      ['duplicate', undefined],
      ['started', firingRunId('default', earlier)],
    ]);
  });

  it('two servers taking the delivery again at once record one run', async () => {
    const { daemon, store } = await served();
    const hub = daemon.catalog('default').hub;
    await firingOfDeadProcess(store, 'nats:S@t:7');
    const both = await Promise.all([hub.fire(firable('nats:S@t:7')), hub.fire(firable('nats:S@t:7'))]);
    expect(both.map((f) => f.started)).toEqual([true, true]);
    expect(new Set(both.map((f) => (f.started ? f.runId : '')))).toHaveProperty('size', 1);
    expect(await store.runs.listRuns({ workflow: 'flow' })).toHaveLength(1);
  });

  it('a run recorded whose firing was not told so is the run: none is added', async () => {
    const { daemon, store } = await served();
    const earlier = await firingOfDeadProcess(store, 'mqtt:t:m-2');
    const runId = await daemon.start({ namespace: 'default', workflow: 'flow', inputs: {}, origin: 'trigger', runId: firingRunId('default', earlier) });
    const fired = await daemon.catalog('default').hub.fire(firable('mqtt:t:m-2'));
    expect(fired).toMatchObject({ started: true, runId });
    expect(await store.runs.listRuns({ workflow: 'flow' })).toHaveLength(1);
  });

  it('a firing whose run could not start because the server was stopping starts it when the delivery comes again', async () => {
    const { daemon, store } = await served();
    await firingOfDeadProcess(store, 'amqp:q:m-3', { outcome: 'failed', code: 'SERVER_STOPPING' });
    expect(await daemon.catalog('default').hub.fire(firable('amqp:q:m-3'))).toMatchObject({ started: true });
    // A firing that failed for another reason (its inputs) stays failed: the same message would fail again.
    await firingOfDeadProcess(store, 'amqp:q:m-4', { outcome: 'failed', code: 'INPUT_TYPE' });
    expect(await daemon.catalog('default').hub.fire(firable('amqp:q:m-4'))).toMatchObject({ started: false, error: { code: 'MESSAGE_DUPLICATE' } });
  });
});
