/**
 * Circuit breakers (docs/decisions/0025-circuit-breakers.md): named breakers that the
 * tasks of every run sharing the store go through (`circuit: payments-api`), so that a
 * broken dependency is left alone for a while instead of being hammered by every run.
 *
 * The state machine, decided here the same way by every store:
 *
 * - closed: every attempt goes. A failed attempt that counts is added to the failures, and
 *   those older than the window are forgotten; when `failures` of them fall within the
 *   window, the circuit opens. A success changes nothing (the failures age out).
 * - open: attempts are refused (the engine fails them with CIRCUIT_OPEN) until `probe_at`
 *   (opened_at + open_for). The first attempt after that claims a probe slot: the circuit
 *   is half-open.
 * - half_open: at most `probes` attempts hold a slot at once; the others are refused. A
 *   probe that succeeds closes the circuit; one that fails opens it again for open_for. A
 *   probe that ends neither way (cancelled, or a failure that does not count) gives its
 *   slot back; one that never reports (its process was killed) holds it until its claim
 *   runs out (`until`), then the slot goes to the next attempt.
 *
 * The state lives in the store, not in the process, so every run and process sharing the
 * store (two `baton run` on one SQLite file, workers on PostgreSQL) sees one circuit. Each
 * change is decided and written in one transaction (decideAdmit / decideOutcome), so two
 * processes recording failures at once open it once, and two asking for the last probe
 * slot get it once. A circuit that never failed has no row: it is closed.
 *
 * Memory, SQLite and PostgreSQL implement it and pass one contract (contract-circuits.ts).
 */

export type CircuitState = 'closed' | 'open' | 'half_open';

/** What a circuit is set to do (a workflow's or baton.config.yaml's `circuits:`); every duration in ms. */
export interface CircuitLimits {
  /** Failures within `window` that open it (at least 1). */
  failures: number;
  window: number;
  /** How long it stays open before a probe may go. */
  open_for: number;
  /** Probe attempts let through at once while half-open (at least 1). */
  probes: number;
}

/** Circuits are named within a namespace (docs/access.md#namespaces): one namespace's breaker is not another's. */
export interface CircuitRef {
  namespace: string;
  name: string;
}

/** An attempt let through while the circuit is half-open. */
export interface CircuitProbe {
  /** Chosen by the attempt: how its outcome names the slot it holds. */
  id: string;
  run_id: string;
  task: string;
  attempt: number;
  at: number;
  /** Until when the slot is its own without an outcome. */
  until: number;
}

export interface CircuitRecord extends CircuitRef {
  state: CircuitState;
  /** Closed: when the failures counted now happened, oldest first (none older than the window as of the last write). */
  failures: number[];
  /** Open or half-open: when it opened. */
  opened_at?: number;
  /** How many failures within the window opened it; absent when a failed probe opened it again. */
  opened_after?: number;
  /** Open: when the first probe may go. */
  probe_at?: number;
  /** Half-open: the probes holding a slot (or that held one and never reported). */
  probes: CircuitProbe[];
  /** The limits it was last written with, for views (`3 failures in 1m`). */
  limits: CircuitLimits;
  updated_at: number;
}

/** What an attempt changed of its circuit, as the run's CircuitChanged event records it. */
export interface CircuitChange {
  circuit: string;
  state: CircuitState;
  /** open: the failures within the window that opened it (absent: a failed probe did). */
  failures?: number;
  window?: number;
  /** open: when a probe may go. */
  probe_at?: number;
}

/** An attempt about to run behind a circuit. */
export interface AdmitRequest {
  run_id: string;
  task: string;
  attempt: number;
  at: number;
  /** The probe slot's id, should the attempt get one. */
  probe_id: string;
  /** How long a probe slot is held at most without an outcome. */
  hold_ms: number;
}

export type Admission =
  /** It may run; `probe` when it holds a probe slot (its outcome decides the circuit). `record`: the circuit as read (none: never failed). */
  | { admitted: true; probe?: CircuitProbe; record?: CircuitRecord }
  /** It may not: the circuit is open, or every probe slot is taken. */
  | { admitted: false; record: CircuitRecord };

/** How an admitted attempt ended, for its circuit. `neutral`: cancelled, or a failure that does not count. */
export interface CircuitOutcome {
  result: 'success' | 'failure' | 'neutral';
  at: number;
  /** The probe slot it held, if any. */
  probe?: string;
}

/** What recording an outcome did: the circuit after it, and whether its state changed. */
export interface Recorded {
  record?: CircuitRecord;
  changed: boolean;
}

export interface CircuitStore {
  /** The circuit as stored; undefined for one that never failed (closed) or was reset. */
  get(ref: CircuitRef): Promise<CircuitRecord | undefined>;
  /** Every stored circuit (of one namespace, when given), by namespace then name. */
  list(namespace?: string): Promise<CircuitRecord[]>;
  /**
   * Whether an attempt may run, decided atomically (decideAdmit): a closed circuit lets it
   * through without writing anything; an open one past probe_at, or a half-open one with a
   * free slot, lets it through as a probe and records the claim.
   */
  admit(ref: CircuitRef, limits: CircuitLimits, request: AdmitRequest): Promise<Admission>;
  /** Records how an admitted attempt ended, atomically (decideOutcome). */
  record(ref: CircuitRef, limits: CircuitLimits, outcome: CircuitOutcome): Promise<Recorded>;
  /** Forgets the circuit (closed, no failures, no probes): `baton circuits reset`. Returns it as it was. */
  reset(ref: CircuitRef): Promise<CircuitRecord | undefined>;
}

/** What admit decides on the circuit as read, and what it writes (nothing for a closed or refusing circuit). */
export function decideAdmit(record: CircuitRecord | undefined, limits: CircuitLimits, request: AdmitRequest): { admission: Admission; write?: CircuitRecord } {
  if (record === undefined || record.state === 'closed') return { admission: record === undefined ? { admitted: true } : { admitted: true, record } };
  const at = request.at;
  if (record.state === 'open' && at < (record.probe_at ?? 0)) return { admission: { admitted: false, record } };
  const live = record.state === 'half_open' ? record.probes.filter((probe) => probe.until > at) : [];
  if (live.length >= limits.probes) return { admission: { admitted: false, record: { ...record, probes: live } } };
  const probe: CircuitProbe = { id: request.probe_id, run_id: request.run_id, task: request.task, attempt: request.attempt, at, until: at + request.hold_ms };
  const write: CircuitRecord = { ...record, state: 'half_open', probes: [...live, probe], limits, updated_at: at };
  delete write.probe_at;
  return { admission: { admitted: true, probe, record: write }, write };
}

/** What recording an outcome writes, if anything, and whether the circuit changes state. */
export function decideOutcome(ref: CircuitRef, record: CircuitRecord | undefined, limits: CircuitLimits, outcome: CircuitOutcome): { write?: CircuitRecord; changed: boolean } {
  const { at } = outcome;
  const probe = outcome.probe === undefined ? undefined : record?.probes.find((p) => p.id === outcome.probe);
  if (record !== undefined && probe !== undefined) {
    if (outcome.result === 'success') return { write: closed(ref, limits, at), changed: true };
    if (outcome.result === 'failure') return { write: opened(ref, limits, at, undefined), changed: true };
    return { write: { ...record, probes: record.probes.filter((p) => p !== probe), updated_at: at }, changed: false };
  }
  // Only a closed circuit counts failures: one that opened meanwhile is decided by its probes.
  if (outcome.result !== 'failure' || (record !== undefined && record.state !== 'closed')) return { changed: false };
  const failures = [...(record?.failures ?? []).filter((time) => time > at - limits.window), at].sort((a, b) => a - b);
  if (failures.length >= limits.failures) return { write: opened(ref, limits, at, failures.length), changed: true };
  return { write: { ...closed(ref, limits, at), failures }, changed: false };
}

function closed(ref: CircuitRef, limits: CircuitLimits, at: number): CircuitRecord {
  return { namespace: ref.namespace, name: ref.name, state: 'closed', failures: [], probes: [], limits, updated_at: at };
}

function opened(ref: CircuitRef, limits: CircuitLimits, at: number, after: number | undefined): CircuitRecord {
  const record: CircuitRecord = { ...closed(ref, limits, at), state: 'open', opened_at: at, probe_at: at + limits.open_for };
  if (after !== undefined) record.opened_after = after;
  return record;
}

/** The failures of a closed circuit that are still within its window at `now`. */
export function failuresInWindow(record: CircuitRecord, now: number): number {
  return record.state === 'closed' ? record.failures.filter((time) => time > now - record.limits.window).length : 0;
}

export function byCircuit(a: CircuitRef, b: CircuitRef): number {
  return compare(a.namespace, b.namespace) || compare(a.name, b.name);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Copies a record, so that a memory store's callers cannot change what it keeps. */
export function copyCircuit(record: CircuitRecord): CircuitRecord {
  return { ...record, failures: [...record.failures], probes: record.probes.map((p) => ({ ...p })), limits: { ...record.limits } };
}
