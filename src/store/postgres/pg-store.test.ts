import { describeStoreContract } from '../contract.js';
import { describePostgres, openTestPgStore } from './test-postgres.js';

describePostgres('postgres', () => {
  describeStoreContract('postgres', () => openTestPgStore());
});
