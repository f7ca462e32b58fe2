/**
 * Before a stored run goes on (resume, retry, cancel of an unowned run): PRAGMA
 * quick_check, so a file that was damaged (say a run stopped on SQLITE_CORRUPT) is not
 * written to again. It reads every page: ~4 ms per MB here, so files over
 * QUICK_CHECK_MAX_BYTES skip it (reading the run itself still finds damage there).
 */
import { statSync } from 'node:fs';
import type { Database } from './driver.js';
import { checkFailed } from './sqlite-errors.js';
import type { StoreError } from '../errors.js';

const QUICK_CHECK_MAX_BYTES = 256 * 1024 * 1024;

/** The damage quick_check finds in the file, as the error for `runId`; undefined when it is sound (or not checked). */
export function quickCheck(db: Database, file: string, runId: string): StoreError | undefined {
  if (db.memory || fileSize(file) > QUICK_CHECK_MAX_BYTES) return undefined;
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows
    .map((row) => row.quick_check.replace(/\*\*\* in database \w+ \*\*\*/, '').replace(/\s+/g, ' ').trim())
    .filter((text) => text !== 'ok');
  return problems.length === 0 ? undefined : checkFailed(file, runId, problems);
}

export function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
