/**
 * A run's idempotency key (docs/decisions/0021-idempotency-keys.md): the name a caller
 * gives one start of a run (`baton run --idempotency-key`, the API's `idempotency_key`, a
 * trigger's `idempotency_key:`), so that starting it again, by mistake or on a retry after
 * a lost answer, gets the first run back instead of a second one.
 *
 * The store holds the key on the run's own row, unique per namespace among the runs that
 * hold one, and checks it in the transaction that records the run: of any number of starts
 * with one key at once, exactly one records a run, on every store and across processes.
 * A run holds its key for the retention the start asked for, counted from its creation;
 * after that, the next start with the key takes it over and records a new run. A run that
 * is gone from the store (deleted) holds nothing.
 */
import { StoreError } from './errors.js';
import type { RunRecord } from './store.js';

/** How long a run holds its key, unless baton.config.yaml says otherwise (`idempotency.retention`). */
export const DEFAULT_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;
/** The longest key, in characters: room for a UUID with a prefix, or a delivery id with its source. */
export const MAX_KEY_LENGTH = 255;

/** What a new run asks of the store about its key (NewRunRecord.idempotency). */
export interface RunKey {
  key: string;
  /**
   * What the start asked for, as a digest (engine/run-key.ts): a start with the key and
   * another fingerprint is another request under a reused key, which the caller refuses.
   */
  fingerprint: string;
  /** How long the run holding the key keeps it, from its creation (ms). */
  retention_ms: number;
}

/**
 * The run a new run's key belongs to: nothing was recorded. The caller answers with
 * `holder` (the same request again) or refuses (another request under a reused key).
 */
export class KeyHeldError extends StoreError {
  constructor(
    readonly key: string,
    readonly holder: RunRecord,
    /** The holder's RunKey.fingerprint. */
    readonly fingerprint: string,
  ) {
    super('STORE_IDEMPOTENCY_KEY_HELD', `idempotency key ${JSON.stringify(key)} belongs to run ${holder.id} of ${holder.workflow} (namespace ${holder.namespace}): nothing was recorded`, {
      details: { run: holder.id, key },
    });
  }
}

/** The oldest creation time of a run that still holds its key when a run created at `at` asks for it. */
export function keyCutoff(at: number, retentionMs: number): number {
  return at - retentionMs;
}
