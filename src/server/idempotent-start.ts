/**
 * Starting a run with an idempotency key (POST /api/workflows/{name}/runs with
 * `idempotency_key`): the first request with a key starts the run, every later one with
 * that key (to that workflow of that namespace, on any server of the store) gets the same run back. The key
 * is kept as a firing of the workflow (trigger `api`, delivery `idempotency:<key>`), so the
 * store's uniqueness of deliveries is what makes it hold across servers, and the record
 * of firings shows which request started which run.
 */
import { BatonError } from '../observability/errors.js';
import type { RunStatus } from '../store/events.js';
import type { Daemon } from './daemon.js';

export type Started = { runId: string; status: RunStatus; again: boolean };

export async function startOnce(daemon: Daemon, namespace: string, name: string, key: string, start: () => Promise<{ runId: string; status: RunStatus }>): Promise<Started> {
  const workflow = daemon.catalog(namespace).workflow(name).name;
  const recorded = await daemon.store.triggers.recordFiring({ namespace, workflow, trigger: 'api', source: `POST /api/workflows/${workflow}/runs`, at: Date.now(), outcome: 'started', delivery: `idempotency:${key}` });
  if ('duplicate' in recorded) {
    const earlier = recorded.duplicate;
    if (earlier.run_id !== undefined) {
      const run = await daemon.store.runs.getRun(earlier.run_id);
      return { runId: earlier.run_id, status: run?.status ?? 'pending', again: true };
    }
    const why = earlier.outcome === 'failed' ? `its run could not start: ${earlier.reason ?? 'see GET /api/firings'}` : 'its run is being started now';
    throw new BatonError('RUN_IDEMPOTENCY_KEY', `a request with idempotency key ${key} came before (firing ${earlier.id}), and ${why}: send another key for a new run`, { details: { firing: earlier.id } });
  }
  try {
    const started = await start();
    await daemon.store.triggers.updateFiring(recorded.firing.id, { outcome: 'started', run_id: started.runId });
    return { ...started, again: false };
  } catch (err) {
    const error = err instanceof BatonError ? err : new BatonError('RUN_NOT_STARTED', String(err));
    await daemon.store.triggers.updateFiring(recorded.firing.id, { outcome: 'failed', reason: error.message, code: error.code });
    throw err;
  }
}
