import { describe, expect, it } from 'vitest';
import { ev } from '../store/contract-fixtures.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { currentOwner } from '../store/ownership.js';
import { waitForCancel } from './cancel.js';

async function runOwnedBy(owner: { host: string; pid: number; started_at: number }) {
  const store = createMemoryStore();
  const now = Date.now();
  await store.runs.createRun({ id: 'R1', workflow: 'w', created_at: now, owner }, [ev.created(now), ev.started(now + 1)]);
  return store;
}

describe('waiting for a cancel that a live owner carries out', () => {
  it("ends when the owner records the run's end (store.waitForEvents wakes it: see the store contract)", async () => {
    const store = await runOwnedBy(currentOwner());
    const waiting = waitForCancel(store, 'R1', 60_000);
    setTimeout(() => void store.runs.append('R1', [{ type: 'RunCancelled', reason: 'asked', at: Date.now() }]), 20);
    expect(await waiting).toMatchObject({ ended: true, record: { status: 'cancelled' } });
  });

  it('says when the owner is gone (it can record nothing more), and when the time is up', async () => {
    const gone = await runOwnedBy({ host: currentOwner().host, pid: 2 ** 22 + 12345, started_at: 1 });
    expect(await waitForCancel(gone, 'R1', 60_000)).toEqual({ ended: false, why: 'owner-gone' });
    const live = await runOwnedBy(currentOwner());
    expect(await waitForCancel(live, 'R1', 30)).toEqual({ ended: false, why: 'timeout' });
  });
});
