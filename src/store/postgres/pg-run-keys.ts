/**
 * Idempotency keys on PostgreSQL (store/idempotency.ts), inside the transaction that records
 * a run: the database's unique index on (namespace, idempotency_key) decides which of several
 * processes recording runs with one key at once records its run; these read what it decided.
 */
import { StoreError, runExists } from '../errors.js';
import { KeyHeldError, keyCutoff, type RunKey } from '../idempotency.js';
import { toRecord, type RunRow } from '../rows.js';
import type { Queryable } from './driver.js';
import { q } from './run-statements.js';

type KeyRow = RunRow & { idempotency_fingerprint: string | null };

/**
 * Before the run's insert: a holder whose retention passed gives the key up; one that
 * still holds it is a KeyHeldError.
 */
export async function takeKey(tx: Queryable, namespace: string, at: number, wanted: RunKey): Promise<void> {
  await tx.query(q('giveUpKey'), [namespace, wanted.key, keyCutoff(at, wanted.retention_ms)]);
  const [row] = await tx.query<KeyRow>(q('keyHolder'), [namespace, wanted.key]);
  if (row !== undefined) throw new KeyHeldError(wanted.key, toRecord(row), row.idempotency_fingerprint ?? '');
}

/**
 * The insert wrote nothing: another process recorded a run with the key meanwhile (its
 * insert committed first, this one waited for it), or the id is taken. Always throws.
 */
export async function notInserted(tx: Queryable, runId: string, namespace: string, at: number, wanted: RunKey | undefined): Promise<never> {
  if (wanted !== undefined) await takeKey(tx, namespace, at, wanted);
  if ((await tx.query(q('runFence'), [runId])).length > 0) throw runExists(runId);
  // The run that held the key was gone again before it could be read: rare, and harmless to try again.
  throw new StoreError('STORE_BUSY', `run ${runId}: another process recorded a run with idempotency key ${JSON.stringify(wanted?.key)} and it went away at once; nothing was recorded: try again`, {
    details: { run: runId },
  });
}
