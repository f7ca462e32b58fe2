/**
 * SQLite's error codes as StoreErrors that say which file and what to do. SQLite itself
 * keeps what was committed safe through all of these: a failed write rolls back whole.
 */
import { StoreError, diskFull, readOnly } from '../errors.js';

export function corrupt(file: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_CORRUPT',
    `${file} is not a usable baton database (corrupted, or not SQLite): move it aside to start afresh, or restore it from a backup; baton did not change it`,
    { cause, details: { file } },
  );
}

export function schemaTooNew(file: string, version: number, known: number): StoreError {
  return new StoreError(
    'STORE_SCHEMA_TOO_NEW',
    `${file} was written by a newer baton (schema version ${version}, this one knows up to ${known}): upgrade baton; the file was left unchanged`,
    { details: { file, version, known } },
  );
}

/** Any error from the driver as a StoreError; other errors pass through. */
export function sqliteError(err: unknown, file: string): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return err;
  const message = (err as Error).message;
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return corrupt(file, err);
  if (code.startsWith('SQLITE_READONLY')) return readOnly(file, err);
  if (code === 'SQLITE_FULL') return diskFull(file, err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError('STORE_BUSY', `${file} stayed locked by another process for too long: try again`, { cause: err, details: { file } });
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreError('STORE_CANT_OPEN', `cannot open ${file} (${message}): check that its folder exists and can be read and written`, {
      cause: err,
      details: { file },
    });
  }
  return new StoreError('STORE_SQLITE', `${file}: ${message} (${code})`, { cause: err, details: { file, code } });
}
