/**
 * Circuit breakers on SQLite (store/circuits.ts), on the connection of the run store, so
 * every process sharing the file shares the circuits. What needs writing is decided again
 * and written in one BEGIN IMMEDIATE transaction, which holds the file's write lock from
 * its read of the circuit to its write: of two processes recording the failure that opens
 * a circuit, or claiming its last probe slot, one does it and the other sees it done. What
 * writes nothing (an attempt through a closed circuit, one refused by an open circuit) is
 * found out by reading alone, without the write lock.
 */
import { decideAdmit, decideOutcome, type Admission, type AdmitRequest, type CircuitLimits, type CircuitOutcome, type CircuitRecord, type CircuitRef, type CircuitStore, type Recorded } from '../circuits.js';
import { parseNamedQueries } from '../named-queries.js';
import { circuitValues, toCircuit, type CircuitRow } from '../rows/circuits.js';
import type { Database } from './driver.js';
import queries from './circuits.sql';
import { sqliteError } from './sqlite-errors.js';
import { parseRow } from './sqlite-rows.js';
import { preparedOnUse, type Statement } from './statements.js';

const sql = parseNamedQueries(queries);

export class SqliteCircuitStore implements CircuitStore {
  /** Prepared at first use: most commands that open a store never touch a circuit. */
  private readonly prepared: () => Record<string, Statement>;
  private admitTx?: (ref: CircuitRef, limits: CircuitLimits, request: AdmitRequest) => Admission;
  private recordTx?: (ref: CircuitRef, limits: CircuitLimits, outcome: CircuitOutcome) => Recorded;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  private get q(): Record<string, Statement> {
    return this.prepared();
  }

  async get(ref: CircuitRef): Promise<CircuitRecord | undefined> {
    return this.guard(() => this.read(ref));
  }

  async list(namespace?: string): Promise<CircuitRecord[]> {
    return this.guard(() => {
      const rows = (namespace === undefined ? this.q.allCircuits.all() : this.q.circuitsOf.all(namespace)) as CircuitRow[];
      return rows.map((row) => toCircuit(row, (text) => parseRow(text, this.file)));
    });
  }

  async admit(ref: CircuitRef, limits: CircuitLimits, request: AdmitRequest): Promise<Admission> {
    return this.guard(() => {
      // Reading alone first: a closed circuit, or an open one before its probe time, writes nothing.
      const seen = decideAdmit(this.read(ref), limits, request);
      if (seen.write === undefined) return seen.admission;
      this.admitTx ??= this.db.transaction((r: CircuitRef, l: CircuitLimits, req: AdmitRequest) => {
        const { admission, write } = decideAdmit(this.read(r), l, req);
        if (write) this.q.putCircuit.run(...circuitValues(write));
        return admission;
      }).immediate;
      return this.admitTx(ref, limits, request);
    });
  }

  async record(ref: CircuitRef, limits: CircuitLimits, outcome: CircuitOutcome): Promise<Recorded> {
    return this.guard(() => {
      const seen = this.read(ref);
      const first = decideOutcome(ref, seen, limits, outcome);
      if (first.write === undefined) return seen ? { record: seen, changed: false } : { changed: false };
      this.recordTx ??= this.db.transaction((r: CircuitRef, l: CircuitLimits, o: CircuitOutcome): Recorded => {
        const before = this.read(r);
        const { write, changed } = decideOutcome(r, before, l, o);
        if (write) this.q.putCircuit.run(...circuitValues(write));
        const after = write ?? before;
        return after ? { record: after, changed } : { changed };
      }).immediate;
      return this.recordTx(ref, limits, outcome);
    });
  }

  async reset(ref: CircuitRef): Promise<CircuitRecord | undefined> {
    return this.guard(() => {
      const record = this.read(ref);
      this.q.deleteCircuit.run(ref.namespace, ref.name);
      return record;
    });
  }

  private read(ref: CircuitRef): CircuitRecord | undefined {
    const row = this.q.getCircuit.get(ref.namespace, ref.name) as CircuitRow | undefined;
    return row && toCircuit(row, (text) => parseRow(text, this.file));
  }

  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw sqliteError(err, this.file);
    }
  }
}
