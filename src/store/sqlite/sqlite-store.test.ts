import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { describeStoreContract } from '../contract.js';
import { openSqliteStore } from './index.js';

const root = mkdtempSync(path.join(tmpdir(), 'baton-sqlite-contract-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoreContract('sqlite', () => openSqliteStore(path.join(mkdtempSync(path.join(root, 'store-')), 'baton.db')), {
  projectsOnAppend: true,
  // Another process's store object on the same file.
  openSibling: (store) => openSqliteStore(store.location),
});
