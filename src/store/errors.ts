import { BatonError } from '../observability/errors.js';

/**
 * The store's errors. Codes: STORE_RUN_NOT_FOUND, STORE_RUN_EXISTS, STORE_RUN_AMBIGUOUS;
 * and for a store that cannot be used as it is: STORE_CORRUPT, STORE_READONLY,
 * STORE_DISK_FULL, STORE_SCHEMA_TOO_NEW, STORE_BUSY, STORE_CANT_OPEN, STORE_NOT_FOUND,
 * STORE_IO, STORE_SQLITE, STORE_DRIVER, STORE_UNSUPPORTED. Their messages name the file
 * and say what to do; none of them means something recorded was lost.
 */
export class StoreError extends BatonError {}

export function runNotFound(runId: string): StoreError {
  return new StoreError('STORE_RUN_NOT_FOUND', `run ${runId} not found: list runs with \`baton history\``, {
    details: { run: runId },
  });
}

export function runExists(runId: string): StoreError {
  return new StoreError('STORE_RUN_EXISTS', `run ${runId} already exists`, { details: { run: runId } });
}

export function diskFull(file: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_DISK_FULL',
    `no space left on the disk holding ${file}: free some space and try again (resume an interrupted run with \`baton resume\`); everything recorded before is intact`,
    { cause, details: { file } },
  );
}

export function readOnly(file: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_READONLY',
    `${file} is read-only: runs there can be read but not recorded; make the file and its folder writable, or use another store (--store, BATON_STORE, BATON_HOME)`,
    { cause, details: { file } },
  );
}

/** A file-system error while writing `file`, as a StoreError that says what to do. */
export function fileError(err: unknown, file: string): Error {
  if (err instanceof StoreError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return diskFull(file, err);
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return readOnly(file, err);
  return new StoreError('STORE_IO', `cannot write ${file}: ${(err as Error)?.message ?? String(err)}`, { cause: err, details: { file } });
}

/** An append whose writer no longer holds the run (AppendOptions.fence). */
export function leaseLost(runId: string, fence: number, current: number | undefined): StoreError {
  return new StoreError(
    'STORE_LEASE_LOST',
    `run ${runId} was claimed by another process (claim ${current ?? '?'}, this one holds ${fence}): nothing was recorded, and this process must stop driving it`,
    { details: { run: runId, fence, current } },
  );
}

/** An append whose writer expected another last event (AppendOptions.expectedSeq). */
export function seqConflict(runId: string, expected: number, actual: number): StoreError {
  return new StoreError('STORE_SEQ_CONFLICT', `run ${runId} has event ${actual} where ${expected} was expected: another writer recorded first; nothing was recorded`, {
    details: { run: runId, expected, actual },
  });
}
