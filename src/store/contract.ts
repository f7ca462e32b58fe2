/**
 * The behaviour every store must have, as one test suite run against each of them
 * (memory-store.test.ts, sqlite-store.test.ts, and the PostgreSQL store later). A store
 * passes by behaving the same, not by sharing code.
 */
import { describe } from 'vitest';
import type { MakeStore } from './contract-fixtures.js';
import { logContract } from './contract-logs.js';
import { ownershipContract, runContract } from './contract-runs.js';

export type { MakeStore } from './contract-fixtures.js';

export function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`${name} store contract`, () => {
    describe('runs and events', () => runContract(makeStore));
    describe('ownership', () => ownershipContract(makeStore));
    describe('logs', () => logContract(makeStore));
  });
}
