/**
 * The health of a SQLite store's file, as one run store sees it: driver errors turned into
 * StoreErrors, and, once SQLite has reported the file damaged (or quick_check found it so
 * before a stored run goes on), every later write refused: writing on would bury the damage
 * under new runs (and `resume` would finish a run inside it).
 */
import { StoreError } from '../errors.js';
import type { Database } from './driver.js';
import { quickCheck } from './quick-check.js';
import { corrupt, damaged, sqliteError, writesRefused } from './sqlite-errors.js';

export class FileHealth {
  /** Set once SQLite reports the file damaged: every later write is refused. */
  private damage?: StoreError;
  /** PRAGMA quick_check ran (see checkBeforeContinuing). */
  private checkedFile = false;

  constructor(
    private readonly db: Database,
    private readonly file: string,
  ) {}

  /** Runs a statement-level operation, with driver errors turned into StoreErrors. */
  async read<T>(fn: () => T): Promise<T> {
    try {
      return fn();
    } catch (err) {
      throw this.failure(err, { write: false });
    }
  }

  /** Runs an operation that changes the file; refused once the file is known damaged. */
  async write<T>(runId: string | undefined, fn: () => T): Promise<T> {
    if (this.damage !== undefined) throw writesRefused(this.file, this.damage, runId);
    try {
      return fn();
    } catch (err) {
      throw this.failure(err, { write: true, run: runId });
    }
  }

  /** quick_check.ts, once per store opened: see there. */
  checkBeforeContinuing(runId: string): void {
    // A command goes on with one run, a server with thousands: a check per run there cost
    // 4 ms per MB of the file each, and stalled it at 100 runs/s. Damage found later, by
    // any read or write, is remembered as well (see write()).
    if (this.checkedFile) return;
    this.checkedFile = true;
    const err = quickCheck(this.db, this.file, runId);
    if (err === undefined) return;
    this.damage ??= err;
    throw err;
  }

  /**
   * A driver error as a StoreError; a STORE_CORRUPT is remembered (see write()) and said
   * the way it happened. A stored JSON column that does not parse (outputs, error) means
   * damaged overflow pages.
   */
  private failure(thrown: unknown, how: { write: boolean; run?: string }): unknown {
    const err = thrown instanceof SyntaxError ? corrupt(this.file, thrown) : sqliteError(thrown, this.file);
    if (!(err instanceof StoreError) || err.code !== 'STORE_CORRUPT' || err.details?.checked === true) return err;
    this.damage ??= err;
    return damaged(this.file, err.cause, how);
  }
}
