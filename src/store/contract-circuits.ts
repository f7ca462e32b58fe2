import { expect, it } from 'vitest';
import { T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { OpenSibling } from './contract-keys.js';
import type { AdmitRequest, CircuitLimits, CircuitRef } from './circuits.js';
import type { Store } from './store.js';

const api: CircuitRef = { namespace: 'default', name: 'payments-api' };
/** 3 failures within 60 s open it for 30 s; one probe at a time. */
const LIMITS: CircuitLimits = { failures: 3, window: 60_000, open_for: 30_000, probes: 1 };
const ask = (at: number, probe_id = `p${at}`, extra: Partial<AdmitRequest> = {}): AdmitRequest => ({ run_id: 'R1', task: 'charge', attempt: 1, at, probe_id, hold_ms: 30_000, ...extra });

export function circuitContract(makeStore: MakeStore, openSibling: OpenSibling): void {
  const store = useStore(makeStore);
  const fail = (at: number, probe?: string, ref = api, limits = LIMITS) => store().circuits.record(ref, limits, { result: 'failure', at, ...(probe ? { probe } : {}) });

  it('lets attempts through a circuit that never failed, and records nothing for a success', async () => {
    const circuits = store().circuits;
    expect(await circuits.admit(api, LIMITS, ask(T0))).toEqual({ admitted: true });
    expect(await circuits.record(api, LIMITS, { result: 'success', at: T0 + 1 })).toEqual({ changed: false });
    expect(await circuits.get(api)).toBeUndefined();
    expect(await circuits.list()).toEqual([]);
  });

  it('opens once `failures` failures fall within the window, forgetting older ones', async () => {
    const circuits = store().circuits;
    expect(await fail(T0)).toMatchObject({ changed: false, record: { state: 'closed', failures: [T0] } });
    // Past the window: the first failure no longer counts.
    expect(await fail(T0 + 61_000)).toMatchObject({ changed: false, record: { state: 'closed', failures: [T0 + 61_000] } });
    expect(await fail(T0 + 62_000)).toMatchObject({ changed: false, record: { failures: [T0 + 61_000, T0 + 62_000] } });
    expect((await circuits.admit(api, LIMITS, ask(T0 + 62_500))).admitted).toBe(true);
    const opened = await fail(T0 + 63_000);
    expect(opened).toEqual({
      changed: true,
      record: { ...api, state: 'open', failures: [], opened_at: T0 + 63_000, opened_after: 3, probe_at: T0 + 93_000, probes: [], limits: LIMITS, updated_at: T0 + 63_000 },
    });
    expect(await circuits.get(api)).toEqual(opened.record);
  });

  it('refuses attempts while open, then lets `probes` through at once; a success closes it', async () => {
    const circuits = store().circuits;
    for (const at of [T0, T0 + 1, T0 + 2]) await fail(at);
    const refused = await circuits.admit(api, LIMITS, ask(T0 + 29_000));
    expect(refused).toMatchObject({ admitted: false, record: { state: 'open', probe_at: T0 + 30_002 } });
    // A failure of an attempt let through before it opened changes nothing.
    expect(await fail(T0 + 29_500)).toMatchObject({ changed: false, record: { state: 'open', opened_at: T0 + 2 } });
    const probe = await circuits.admit(api, LIMITS, ask(T0 + 30_002, 'first'));
    expect(probe).toMatchObject({ admitted: true, probe: { id: 'first', run_id: 'R1', task: 'charge', attempt: 1, at: T0 + 30_002, until: T0 + 60_002 }, record: { state: 'half_open' } });
    expect(await circuits.admit(api, LIMITS, ask(T0 + 30_003, 'second'))).toMatchObject({ admitted: false, record: { state: 'half_open', probes: [{ id: 'first' }] } });
    // A success that was no probe does not close it; the probe's does.
    expect(await circuits.record(api, LIMITS, { result: 'success', at: T0 + 30_004 })).toMatchObject({ changed: false, record: { state: 'half_open' } });
    expect(await circuits.record(api, LIMITS, { result: 'success', at: T0 + 30_005, probe: 'first' })).toMatchObject({ changed: true, record: { state: 'closed', failures: [], probes: [] } });
    expect(await circuits.admit(api, LIMITS, ask(T0 + 30_006))).toMatchObject({ admitted: true, record: { state: 'closed' } });
  });

  it('opens again for open_for when a probe fails; a probe that ends neither way gives its slot back', async () => {
    const circuits = store().circuits;
    const two = { ...LIMITS, probes: 2 };
    for (const at of [T0, T0 + 1, T0 + 2]) await fail(at, undefined, api, two);
    expect((await circuits.admit(api, two, ask(T0 + 40_000, 'a'))).admitted).toBe(true);
    expect((await circuits.admit(api, two, ask(T0 + 40_001, 'b'))).admitted).toBe(true);
    expect((await circuits.admit(api, two, ask(T0 + 40_002, 'c'))).admitted).toBe(false);
    expect(await circuits.record(api, two, { result: 'neutral', at: T0 + 40_003, probe: 'a' })).toMatchObject({ changed: false, record: { state: 'half_open', probes: [{ id: 'b' }] } });
    expect((await circuits.admit(api, two, ask(T0 + 40_004, 'd'))).admitted).toBe(true);
    const reopened = await fail(T0 + 41_000, 'b', api, two);
    expect(reopened).toMatchObject({ changed: true, record: { state: 'open', opened_at: T0 + 41_000, probe_at: T0 + 71_000, probes: [] } });
    expect(reopened.record?.opened_after).toBeUndefined();
    // The other probe, still out, no longer holds anything: its outcome is a late one.
    expect(await circuits.record(api, two, { result: 'success', at: T0 + 41_500, probe: 'd' })).toMatchObject({ changed: false, record: { state: 'open' } });
    expect((await circuits.admit(api, two, ask(T0 + 70_999))).admitted).toBe(false);
    expect((await circuits.admit(api, two, ask(T0 + 71_000))).admitted).toBe(true);
  });

  it('gives the slot of a probe that never reports to the next attempt once its claim runs out', async () => {
    const circuits = store().circuits;
    for (const at of [T0, T0 + 1, T0 + 2]) await fail(at);
    expect((await circuits.admit(api, LIMITS, ask(T0 + 30_002, 'lost', { hold_ms: 5_000 }))).admitted).toBe(true);
    expect((await circuits.admit(api, LIMITS, ask(T0 + 35_001, 'early'))).admitted).toBe(false);
    expect(await circuits.admit(api, LIMITS, ask(T0 + 35_002, 'next'))).toMatchObject({ admitted: true, record: { probes: [{ id: 'next' }] } });
  });

  it('keeps circuits apart by namespace and name, lists them in order, and forgets one on reset', async () => {
    const circuits = store().circuits;
    const other = { namespace: 'team-b', name: 'payments-api' };
    const db = { namespace: 'default', name: 'db' };
    for (const at of [T0, T0 + 1, T0 + 2]) await fail(at);
    await fail(T0, undefined, other);
    await fail(T0, undefined, db);
    expect((await circuits.list()).map((c) => `${c.namespace}/${c.name}:${c.state}`)).toEqual(['default/db:closed', 'default/payments-api:open', 'team-b/payments-api:closed']);
    expect((await circuits.list('team-b')).map((c) => c.name)).toEqual(['payments-api']);
    expect((await circuits.admit(other, LIMITS, ask(T0 + 3))).admitted).toBe(true);
    expect(await circuits.reset(api)).toMatchObject({ state: 'open' });
    expect(await circuits.get(api)).toBeUndefined();
    expect(await circuits.reset(api)).toBeUndefined();
    expect((await circuits.admit(api, LIMITS, ask(T0 + 4))).admitted).toBe(true);
  });

  it('opens once when several handles record the failures that open it at once', async () => {
    const handles: Store[] = [store()];
    try {
      for (let i = 1; i < 6; i++) handles.push(await openSibling(store()));
      const recorded = await Promise.all(handles.flatMap((handle, i) => [0, 1].map((j) => handle.circuits.record(api, LIMITS, { result: 'failure', at: T0 + i * 2 + j }))));
      expect(recorded.filter((r) => r.changed)).toHaveLength(1);
      expect(await store().circuits.get(api)).toMatchObject({ state: 'open', opened_after: 3 });
    } finally {
      for (const handle of handles.slice(1)) await handle.close();
    }
  });

  it('gives the one probe slot to one of several handles asking at once', async () => {
    for (const at of [T0, T0 + 1, T0 + 2]) await fail(at);
    const handles: Store[] = [store()];
    try {
      for (let i = 1; i < 6; i++) handles.push(await openSibling(store()));
      const admissions = await Promise.all(handles.map((handle, i) => handle.circuits.admit(api, LIMITS, ask(T0 + 40_000, `h${i}`, { run_id: `R${i}` }))));
      expect(admissions.filter((a) => a.admitted)).toHaveLength(1);
      expect((await store().circuits.get(api))?.probes).toHaveLength(1);
    } finally {
      for (const handle of handles.slice(1)) await handle.close();
    }
  });
}
