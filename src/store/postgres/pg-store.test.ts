import type { Store } from '../store.js';
import { describeStoreContract } from '../contract.js';
import { openPostgresStore } from './index.js';
import { describePostgres, openTestPgStore } from './test-postgres.js';

describePostgres('postgres', () => {
  describeStoreContract('postgres', () => openTestPgStore(), {
    projectsOnAppend: true,
    // Another process: a store with its own connections to the test's schema.
    openSibling: (store) => openPostgresStore((store as Store & { url: string }).url),
  });
});
