/**
 * The behaviour every store must have, as one test suite run against each of them
 * (memory-store.test.ts, sqlite-store.test.ts, and the PostgreSQL store later). A store
 * passes by behaving the same, not by sharing code.
 */
import { describe } from 'vitest';
import type { MakeStore } from './contract-fixtures.js';
import { logContract } from './contract-logs.js';
import { ownershipContract, runContract } from './contract-runs.js';
import { queueContract } from './contract-queue.js';
import { poolContract } from './contract-pools.js';
import { triggerContract } from './contract-triggers.js';
import { timerContract } from './contract-timers.js';
import { accessContract } from './contract-access.js';
import { workContract } from './contract-work.js';
import { keyContract, type OpenSibling } from './contract-keys.js';
import { circuitContract } from './contract-circuits.js';
import { statsContract } from './contract-stats.js';
import { progressContract } from './contract-progress.js';
import { countContract } from './contract-counts.js';
import { outboxContract } from './contract-outbox.js';
import { feedContract } from './contract-feed.js';

export type { MakeStore } from './contract-fixtures.js';

export interface ContractOptions {
  /**
   * The store keeps its task projection up to date on every append (SQLite, PostgreSQL),
   * so an event it cannot project fails the whole batch. The memory store projects when
   * the projection is read instead: the engine benchmarks run on it, and that halves its
   * cost per task.
   */
  projectsOnAppend: boolean;
  /**
   * Opens another handle on a store's data, as another process would (a store object on
   * the same SQLite file, a store with its own connections to the same schema). Default:
   * the store itself (memory: one process is all there is).
   */
  openSibling?: OpenSibling;
}

export function describeStoreContract(name: string, makeStore: MakeStore, options: ContractOptions = { projectsOnAppend: true }): void {
  describe(`${name} store contract`, () => {
    describe('runs and events', () => runContract(makeStore, options));
    describe('ownership', () => ownershipContract(makeStore));
    describe('run queue', () => queueContract(makeStore));
    describe('logs', () => logContract(makeStore));
    describe('resource pools', () => poolContract(makeStore));
    describe('triggers', () => triggerContract(makeStore));
    describe('timers', () => timerContract(makeStore));
    describe('access', () => accessContract(makeStore));
    describe('work queue', () => workContract(makeStore));
    describe('idempotency keys', () => keyContract(makeStore, options.openSibling ?? ((store) => ({ ...store, close: async () => {} }))));
    describe('task progress', () => progressContract(makeStore));
    describe('run counts', () => countContract(makeStore));
    describe('run stats', () => statsContract(makeStore));
    describe('circuit breakers', () => circuitContract(makeStore, options.openSibling ?? ((store) => ({ ...store, close: async () => {} }))));
    describe('notification outbox', () => outboxContract(makeStore, options.openSibling ?? ((store) => ({ ...store, close: async () => {} }))));
    describe('run feed', () => feedContract(makeStore, options.openSibling ?? ((store) => ({ ...store, close: async () => {} }))));
  });
}
