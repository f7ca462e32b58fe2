import { expect, it } from 'vitest';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';
import { DEFAULT_KEY_RETENTION_MS, KeyHeldError, type RunKey } from './idempotency.js';
import type { Store } from './store.js';

/** Another handle on the same data, as another process would open it; closed by the test. */
export type OpenSibling = (store: Store) => Store | Promise<Store>;

const HOUR = 60 * 60 * 1000;
const key = (name: string, fingerprint = 'f1', retention_ms = DEFAULT_KEY_RETENTION_MS): RunKey => ({ key: name, fingerprint, retention_ms });
const created = (namespace?: string, at = T0): TimedEvent => ({ ...ev.created(at), ...(namespace ? { namespace } : {}) }) as TimedEvent;

/** What a create that found its key held says: the holder and its fingerprint. */
async function held(promise: Promise<unknown>): Promise<{ holder: string; fingerprint: string; key: string }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof KeyHeldError) return { holder: err.holder.id, fingerprint: err.fingerprint, key: err.key };
    throw err;
  }
  throw new Error('expected the key to be held');
}

export function keyContract(makeStore: MakeStore, openSibling: OpenSibling): void {
  const store = useStore(makeStore);

  it('gives a second run with the same idempotency key the first run, and records nothing', async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'deploy', created_at: T0, idempotency: key('deploy-42') }, [created()]);
    expect(await runs.getRun('R1')).toMatchObject({ idempotency_key: 'deploy-42', status: 'pending' });
    // The same request again, later, with another fingerprint (another request under the key): the store names the holder either way.
    expect(await held(runs.createRun({ id: 'R2', workflow: 'deploy', created_at: T0 + HOUR, idempotency: key('deploy-42') }, [created(undefined, T0 + HOUR)]))).toEqual({ holder: 'R1', fingerprint: 'f1', key: 'deploy-42' });
    expect(await held(runs.createRun({ id: 'R3', workflow: 'other', created_at: T0 + HOUR, idempotency: key('deploy-42', 'f2') }, [created(undefined, T0 + HOUR)]))).toMatchObject({ holder: 'R1', fingerprint: 'f1' });
    expect(await runs.getRun('R2')).toBeUndefined();
    expect(await runs.getRun('R3')).toBeUndefined();
    expect((await runs.listRuns()).map((r) => r.id)).toEqual(['R1']);
    expect((await runs.listRuns({ idempotency_key: 'deploy-42' })).map((r) => r.id)).toEqual(['R1']);
    expect(await runs.listRuns({ idempotency_key: 'deploy-43' })).toEqual([]);
    // Another key, and no key at all: runs of their own.
    await runs.createRun({ id: 'R4', workflow: 'deploy', created_at: T0 + 1, idempotency: key('deploy-43') }, [created(undefined, T0 + 1)]);
    await runs.createRun({ id: 'R5', workflow: 'deploy', created_at: T0 + 2 }, [created(undefined, T0 + 2)]);
    expect((await runs.getRun('R5'))?.idempotency_key).toBeUndefined();
    // The key is the run's, not a projection of its events: rebuilding them keeps it.
    await runs.append('R1', [ev.started(T0 + 3), ev.succeeded(T0 + 4)]);
    await runs.rebuildProjection();
    expect(await runs.getRun('R1')).toMatchObject({ idempotency_key: 'deploy-42', status: 'succeeded' });
    expect((await held(runs.createRun({ id: 'R6', workflow: 'deploy', created_at: T0 + 5, idempotency: key('deploy-42') }, [created(undefined, T0 + 5)]))).holder).toBe('R1');
  });

  it('records one run of 20 created at once with one key, by as many handles on the store', async () => {
    const handles: Store[] = [store()];
    try {
      for (let i = 1; i < 20; i++) handles.push(await openSibling(store()));
      const outcomes = await Promise.allSettled(
        handles.map((handle, i) => handle.runs.createRun({ id: `R${String(i).padStart(2, '0')}`, workflow: 'deploy', created_at: T0 + i, idempotency: key('once') }, [created(undefined, T0 + i)])),
      );
      const recorded = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [`R${String(i).padStart(2, '0')}`] : []));
      expect(recorded).toHaveLength(1);
      const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
      expect(refusals).toHaveLength(19);
      for (const refusal of refusals) {
        expect(refusal).toBeInstanceOf(KeyHeldError);
        expect((refusal as KeyHeldError).holder.id).toBe(recorded[0]);
      }
      expect((await store().runs.listRuns({ limit: 100 })).map((r) => r.id)).toEqual(recorded);
    } finally {
      await Promise.all(handles.slice(1).map((h) => h.close()));
    }
  });

  it('keeps keys apart by namespace', async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'deploy', created_at: T0, idempotency: key('k') }, [created()]);
    await runs.createRun({ id: 'R2', workflow: 'deploy', created_at: T0 + 1, idempotency: key('k') }, [created('acme', T0 + 1)]);
    expect((await held(runs.createRun({ id: 'R3', workflow: 'deploy', created_at: T0 + 2, idempotency: key('k') }, [created('acme', T0 + 2)]))).holder).toBe('R2');
    expect((await runs.listRuns({ namespace: 'acme', idempotency_key: 'k' })).map((r) => r.id)).toEqual(['R2']);
    expect((await runs.listRuns({ namespace: 'default', idempotency_key: 'k' })).map((r) => r.id)).toEqual(['R1']);
  });

  it("lets a key go once its run's retention passed: the next start records a new run, which holds it from then on", async () => {
    const runs = store().runs;
    await runs.createRun({ id: 'R1', workflow: 'deploy', created_at: T0, idempotency: key('nightly', 'f1', 2 * HOUR) }, [created()]);
    // Within the retention the new start asks for (to the ms): held.
    expect((await held(runs.createRun({ id: 'R2', workflow: 'deploy', created_at: T0 + 2 * HOUR, idempotency: key('nightly', 'f1', 2 * HOUR) }, [created(undefined, T0 + 2 * HOUR)]))).holder).toBe('R1');
    // Past it (a start that keeps keys an hour): a new run, with another fingerprint too.
    await runs.createRun({ id: 'R3', workflow: 'deploy', created_at: T0 + 2 * HOUR, idempotency: key('nightly', 'f2', HOUR) }, [created(undefined, T0 + 2 * HOUR)]);
    expect((await runs.getRun('R1'))?.idempotency_key).toBeUndefined();
    expect(await runs.getRun('R3')).toMatchObject({ idempotency_key: 'nightly' });
    expect(await held(runs.createRun({ id: 'R4', workflow: 'deploy', created_at: T0 + 2 * HOUR + 1, idempotency: key('nightly', 'f1', HOUR) }, [created(undefined, T0 + 2 * HOUR + 1)]))).toMatchObject({ holder: 'R3', fingerprint: 'f2' });
    expect((await runs.listRuns({ idempotency_key: 'nightly' })).map((r) => r.id)).toEqual(['R3']);
  });
}
