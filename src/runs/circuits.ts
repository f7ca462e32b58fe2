/**
 * What `baton circuits`, `baton status` and the API show of circuit breakers
 * (store/circuits.ts), and `baton circuits reset`: one implementation below the front ends.
 * A circuit baton.config.yaml declares that never failed has no state in the store; it is
 * listed too, closed, so the list shows every circuit a task can name there.
 */
import { BatonError } from '../observability/errors.js';
import type { CircuitPolicy } from '../spec/model.js';
import { failuresInWindow, type CircuitRecord, type CircuitRef, type CircuitState } from '../store/circuits.js';
import { DEFAULT_NAMESPACE } from '../store/events.js';
import type { Store } from '../store/store.js';

/** One circuit as the views show it. Fields are only ever added. */
export interface CircuitView {
  namespace: string;
  name: string;
  state: CircuitState;
  /** Closed: the failures that count now (within the window); open or half-open: 0. */
  failures: number;
  /** Its limits: from its last write, or the config's for one the store holds nothing of (absent when not known there). */
  limits?: { failures: number; window_ms: number; open_for_ms: number; probes: number };
  /** Open or half-open: when it opened, and how many failures in the window did it (absent: a failed probe did). */
  opened_at?: string;
  opened_after?: number;
  /** Open: when the first probe may go. */
  next_probe_at?: string;
  /** Half-open: the probe attempts out, each holding a slot until it reports or `until`. */
  probes?: Array<{ run_id: string; task: string; attempt: number; since: string; until: string }>;
  /** When its state was last written; absent for a circuit the store holds nothing of. */
  updated_at?: string;
}

/** The circuits of the store (one namespace's, when given) and those `declared` (the config's) it holds nothing of, by namespace and name. */
export async function circuitViews(store: Store, options: { namespace?: string; declared?: Readonly<Record<string, CircuitPolicy>>; now?: number } = {}): Promise<CircuitView[]> {
  const now = options.now ?? Date.now();
  const views = (await store.circuits.list(options.namespace)).map((record) => circuitView(record, now));
  const declaredIn = options.namespace ?? DEFAULT_NAMESPACE;
  for (const [name, policy] of Object.entries(options.declared ?? {})) {
    if (views.some((view) => view.namespace === declaredIn && view.name === name)) continue;
    views.push({ namespace: declaredIn, name, state: 'closed', failures: 0, limits: limitsOf(policy) });
  }
  return views.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The circuit now, as the views show it; one the store holds nothing of is closed (with `policy`'s limits, when known). */
export async function circuitNow(store: Store, ref: CircuitRef, policy?: CircuitPolicy, now = Date.now()): Promise<CircuitView | undefined> {
  const record = await store.circuits.get(ref);
  if (record !== undefined) return circuitView(record, now);
  return policy === undefined ? undefined : { ...ref, state: 'closed', failures: 0, limits: limitsOf(policy) };
}

/** Closes a circuit and forgets its failures (`baton circuits reset`); CIRCUIT_NOT_FOUND when the store holds nothing of it. */
export async function resetCircuit(store: Store, ref: CircuitRef): Promise<CircuitView> {
  const was = await store.circuits.reset(ref);
  if (was === undefined) {
    const known = (await store.circuits.list(ref.namespace)).map((record) => record.name);
    throw new BatonError('CIRCUIT_NOT_FOUND', `circuit ${ref.name} has no state to reset in namespace ${ref.namespace}: it is closed with no failures${known.length > 0 ? ` (circuits with state: ${known.join(', ')})` : ''}`, {
      details: { circuit: ref.name, namespace: ref.namespace },
    });
  }
  return circuitView(was, Date.now());
}

export function circuitView(record: CircuitRecord, now: number): CircuitView {
  const view: CircuitView = { namespace: record.namespace, name: record.name, state: record.state, failures: failuresInWindow(record, now), limits: limitsOf(record.limits) };
  if (record.opened_at !== undefined) view.opened_at = iso(record.opened_at);
  if (record.opened_after !== undefined) view.opened_after = record.opened_after;
  if (record.probe_at !== undefined) view.next_probe_at = iso(record.probe_at);
  const out = record.probes.filter((probe) => probe.until > now);
  if (record.state === 'half_open') view.probes = out.map((p) => ({ run_id: p.run_id, task: p.task, attempt: p.attempt, since: iso(p.at), until: iso(p.until) }));
  view.updated_at = iso(record.updated_at);
  return view;
}

function limitsOf(policy: { failures: number; window: number; open_for: number; probes: number }): CircuitView['limits'] {
  return { failures: policy.failures, window_ms: policy.window, open_for_ms: policy.open_for, probes: policy.probes };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
