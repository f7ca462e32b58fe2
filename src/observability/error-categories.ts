/**
 * One table of every error code baton uses, its category, and what each category means
 * to a shell (exit code) and to HTTP (status). Every front end asks this file, so the CLI,
 * the server and MCP can never disagree on what an error means. Categories:
 *
 * - usage: bad arguments, options or input (a bad --input, a bad export/import file,
 *   a bad baton.config.yaml); the caller can fix the call.
 * - invalid_workflow: the workflow file has problems (`baton validate` lists them).
 * - run_failed: a task or the run failed; what TaskFailed and RunFailed events record.
 * - not_found: a run, a task of a run, a file or a store that does not exist.
 * - unauthenticated: the request does not prove who sent it (a webhook delivery without
 *   a valid signature, or signed too long ago).
 * - forbidden: the request proves who sent it, but their roles do not allow it (or the
 *   route is not in the permission table).
 * - conflict: the thing exists but is in the wrong state for the request (held by a
 *   live process, already finished, already there, delivered before).
 * - rate_limited: more requests than the server takes in a while; try again later.
 * - unavailable: baton could not do its job because the store or the environment
 *   cannot be used now (locked, disk full, read-only, corrupt, driver missing).
 * - internal: a bug in baton; any code this table does not know lands here too.
 *
 * Adding a code: put it in CODES (error-codes.ts) under its category; error-categories.test.ts
 * scans src/ and fails for a code that is used but not listed.
 */
import { CODES } from './error-codes.js';
import { BatonError } from './errors.js';

export type ErrorCategory = 'usage' | 'invalid_workflow' | 'run_failed' | 'not_found' | 'unauthenticated' | 'forbidden' | 'conflict' | 'rate_limited' | 'unavailable' | 'internal';

/** Exit codes of every baton command; errors get theirs from their category (exitCodeOf). */
export const EXIT = {
  ok: 0,
  /** A run failed, or `validate` found problems. */
  failed: 1,
  /** The caller can fix it: bad usage or input, an invalid workflow, not found, conflict. */
  invalid: 2,
  /** baton could not do its job: the store or environment is unavailable, or a bug. */
  unavailable: 3,
  /**
   * Not an error: the run waits for an approval or an event, and this process let it go
   * (`baton approve`, `baton emit` or a daemon continue it). Neither done nor failed.
   */
  waiting: 4,
  /** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
  cancelled: 130,
} as const;

export const EXIT_OF_CATEGORY: Readonly<Record<ErrorCategory, number>> = {
  usage: EXIT.invalid,
  invalid_workflow: EXIT.invalid,
  run_failed: EXIT.failed,
  not_found: EXIT.invalid,
  unauthenticated: EXIT.invalid,
  forbidden: EXIT.invalid,
  conflict: EXIT.invalid,
  rate_limited: EXIT.unavailable,
  unavailable: EXIT.unavailable,
  internal: EXIT.unavailable,
};

export const HTTP_STATUS_OF_CATEGORY: Readonly<Record<ErrorCategory, number>> = {
  usage: 400,
  invalid_workflow: 422,
  // A failed run is not a failed request: the request that asked for the run (or for
  // its status) was served, and the body says `status: failed`, as `baton run --json`
  // does with exit 1. So a run_failed code never turns a response into an HTTP error.
  run_failed: 200,
  not_found: 404,
  unauthenticated: 401,
  forbidden: 403,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};


/** Every known code and its category. */
export const CATEGORY_OF_CODE: ReadonlyMap<string, ErrorCategory> = new Map(
  (Object.entries(CODES) as [ErrorCategory, readonly string[]][]).flatMap(([category, codes]) => codes.map((code) => [code, category] as const)),
);

/**
 * An error a baton server answered with (`baton ... --server`): it comes with the category
 * the server gave it, which wins over this table, since a newer server may use codes this
 * baton does not know.
 */
export class ReportedError extends BatonError {
  constructor(
    code: string,
    message: string,
    readonly category: ErrorCategory,
    options?: { details?: Record<string, unknown> },
  ) {
    super(code, message, options);
  }
}

export function isErrorCategory(value: unknown): value is ErrorCategory {
  return typeof value === 'string' && Object.hasOwn(EXIT_OF_CATEGORY, value);
}

/** The category of an error code, or of anything thrown: not a coded error, or a code nobody listed, is internal. */
export function categoryOf(codeOrError: unknown): ErrorCategory {
  if (codeOrError instanceof ReportedError) return codeOrError.category;
  const code = typeof codeOrError === 'string' ? codeOrError : codeOf(codeOrError);
  return (code !== undefined && CATEGORY_OF_CODE.get(code)) || 'internal';
}

/** The exit code a command ends with when `codeOrError` stops it. */
export function exitCodeOf(codeOrError: unknown): number {
  return EXIT_OF_CATEGORY[categoryOf(codeOrError)];
}

/** The HTTP status of a response that failed with `codeOrError`. */
export function httpStatusOf(codeOrError: unknown): number {
  return HTTP_STATUS_OF_CATEGORY[categoryOf(codeOrError)];
}

function codeOf(thrown: unknown): string | undefined {
  return thrown instanceof BatonError ? thrown.code : undefined;
}
