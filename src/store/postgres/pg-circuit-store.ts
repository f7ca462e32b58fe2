/**
 * Circuit breakers on PostgreSQL (store/circuits.ts), shared by every process on every
 * machine that uses the schema. What needs writing is decided again and written in one
 * transaction under an advisory lock of the circuit (circuits.sql lockCircuit): of two
 * workers recording the failure that opens a circuit, or claiming its last probe slot, one
 * does it and the other, once it commits, sees it done. What writes nothing (an attempt
 * through a closed circuit, one refused by an open circuit) is found out by reading alone.
 */
import { decideAdmit, decideOutcome, type Admission, type AdmitRequest, type CircuitLimits, type CircuitOutcome, type CircuitRecord, type CircuitRef, type CircuitStore, type Recorded } from '../circuits.js';
import { parseNamedQueries } from '../named-queries.js';
import { circuitValues, toCircuit, type CircuitRow } from '../rows/circuits.js';
import type { PgDatabase, Queryable } from './driver.js';
import queries from './circuits.sql';

type Name = 'lockCircuit' | 'getCircuit' | 'allCircuits' | 'circuitsOf' | 'putCircuit' | 'deleteCircuit';
const q = Object.fromEntries(parseNamedQueries(queries)) as Record<Name, string>;

export class PgCircuitStore implements CircuitStore {
  constructor(private readonly db: PgDatabase) {}

  get(ref: CircuitRef): Promise<CircuitRecord | undefined> {
    return read(this.db, ref);
  }

  async list(namespace?: string): Promise<CircuitRecord[]> {
    const rows = namespace === undefined ? await this.db.query<CircuitRow>(q.allCircuits) : await this.db.query<CircuitRow>(q.circuitsOf, [namespace]);
    return rows.map((row) => toCircuit(row, JSON.parse));
  }

  async admit(ref: CircuitRef, limits: CircuitLimits, request: AdmitRequest): Promise<Admission> {
    // Reading alone first: a closed circuit, or an open one before its probe time, writes nothing.
    const seen = decideAdmit(await read(this.db, ref), limits, request);
    if (seen.write === undefined) return seen.admission;
    return this.db.tx(async (tx) => {
      await tx.query(q.lockCircuit, [ref.namespace, ref.name]);
      const { admission, write } = decideAdmit(await read(tx, ref), limits, request);
      if (write) await tx.query(q.putCircuit, circuitValues(write));
      return admission;
    });
  }

  async record(ref: CircuitRef, limits: CircuitLimits, outcome: CircuitOutcome): Promise<Recorded> {
    const seen = await read(this.db, ref);
    if (decideOutcome(ref, seen, limits, outcome).write === undefined) return seen ? { record: seen, changed: false } : { changed: false };
    return this.db.tx(async (tx) => {
      await tx.query(q.lockCircuit, [ref.namespace, ref.name]);
      const before = await read(tx, ref);
      const { write, changed } = decideOutcome(ref, before, limits, outcome);
      if (write) await tx.query(q.putCircuit, circuitValues(write));
      const after = write ?? before;
      return after ? { record: after, changed } : { changed };
    });
  }

  async reset(ref: CircuitRef): Promise<CircuitRecord | undefined> {
    const [row] = await this.db.query<CircuitRow>(q.deleteCircuit, [ref.namespace, ref.name]);
    return row && toCircuit(row, JSON.parse);
  }
}

async function read(db: Queryable, ref: CircuitRef): Promise<CircuitRecord | undefined> {
  const [row] = await db.query<CircuitRow>(q.getCircuit, [ref.namespace, ref.name]);
  return row && toCircuit(row, JSON.parse);
}
