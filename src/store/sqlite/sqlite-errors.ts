/**
 * SQLite's error codes as StoreErrors that say which file and what to do. SQLite itself
 * keeps what was committed safe through all of these: a failed write rolls back whole.
 */
import { StoreError, diskFull, readOnly } from '../errors.js';

/** Opening the file found it is not a database, or a damaged one; nothing was written. */
export function corrupt(file: string, cause?: unknown): StoreError {
  return new StoreError(
    'STORE_CORRUPT',
    `${file} is not a usable baton database (corrupted, or not SQLite): move it aside to start afresh, or restore it from a backup; baton did not change it`,
    { cause, details: { file } },
  );
}

/** What to do with a damaged store, for every message that says it is. */
function whatToDo(file: string): string {
  return (
    `check it with \`sqlite3 ${file} 'PRAGMA integrity_check'\`, then restore it from a backup, or move it aside and ` +
    `copy the runs that still read well into a new store (\`baton export RUN --store ${file} | baton import - --store NEW.db\`)`
  );
}

function sqliteMessage(cause: unknown): string {
  return cause instanceof Error ? cause.message : 'database disk image is malformed';
}

/**
 * SQLite found the file damaged while baton used it. A failed write rolled back whole, so
 * what was recorded before it is intact as far as the damage allows; that write is not.
 */
export function damaged(file: string, cause: unknown, how: { write: boolean; run?: string }): StoreError {
  const what = how.write
    ? `while recording ${how.run === undefined ? 'a change' : `run ${how.run}`}: that change was not recorded, and baton writes nothing more to this file; what was recorded before it is still in the file`
    : 'while reading it: baton changed nothing';
  return new StoreError('STORE_CORRUPT', `SQLite reports ${file} damaged (${sqliteMessage(cause)}) ${what}. ${capitalize(whatToDo(file))}`, {
    cause,
    details: { file, run: how.run, written: false, checked: true },
  });
}

/** A write after SQLite reported the file damaged (in this process): refused before it starts. */
export function writesRefused(file: string, damage: StoreError, run?: string): StoreError {
  return new StoreError(
    'STORE_CORRUPT',
    `${file} is damaged (SQLite reported it earlier: ${sqliteMessage(damage.cause ?? damage)}), so baton writes nothing more to it${run === undefined ? '' : `; run ${run} was not changed`}. ${capitalize(whatToDo(file))}`,
    { cause: damage, details: { file, run, written: false, checked: true } },
  );
}

/** PRAGMA quick_check found problems before a stored run went on; nothing was written. */
export function checkFailed(file: string, run: string, problems: readonly string[]): StoreError {
  return new StoreError(
    'STORE_CORRUPT',
    `${file} is damaged (PRAGMA quick_check: ${problems.join('; ')}): baton will not go on with run ${run} in it, and changed nothing. ${capitalize(whatToDo(file))}`,
    { details: { file, run, problems: [...problems], written: false, checked: true } },
  );
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
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
