/**
 * Circuit breakers in memory (store/circuits.ts), for the runs of this process. Every
 * decision reads and writes in one synchronous stretch, so nothing can come between.
 */
import { byCircuit, copyCircuit, decideAdmit, decideOutcome, type Admission, type AdmitRequest, type CircuitLimits, type CircuitOutcome, type CircuitRecord, type CircuitRef, type CircuitStore, type Recorded } from '../circuits.js';

export class MemoryCircuitStore implements CircuitStore {
  private readonly circuits = new Map<string, CircuitRecord>();

  async get(ref: CircuitRef): Promise<CircuitRecord | undefined> {
    const record = this.circuits.get(keyOf(ref));
    return record && copyCircuit(record);
  }

  async list(namespace?: string): Promise<CircuitRecord[]> {
    return [...this.circuits.values()].filter((record) => namespace === undefined || record.namespace === namespace).map(copyCircuit).sort(byCircuit);
  }

  async admit(ref: CircuitRef, limits: CircuitLimits, request: AdmitRequest): Promise<Admission> {
    const { admission, write } = decideAdmit(this.circuits.get(keyOf(ref)), limits, request);
    if (write) this.circuits.set(keyOf(ref), copyCircuit(write));
    return admission.record ? { ...admission, record: copyCircuit(admission.record) } : admission;
  }

  async record(ref: CircuitRef, limits: CircuitLimits, outcome: CircuitOutcome): Promise<Recorded> {
    const before = this.circuits.get(keyOf(ref));
    const { write, changed } = decideOutcome(ref, before, limits, outcome);
    if (write) this.circuits.set(keyOf(ref), copyCircuit(write));
    const after = write ?? before;
    return after ? { record: copyCircuit(after), changed } : { changed };
  }

  async reset(ref: CircuitRef): Promise<CircuitRecord | undefined> {
    const record = this.circuits.get(keyOf(ref));
    this.circuits.delete(keyOf(ref));
    return record;
  }
}

/** Namespace and name, apart. */
function keyOf(ref: CircuitRef): string {
  return `${ref.namespace}\0${ref.name}`;
}
