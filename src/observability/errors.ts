/**
 * The base of every error baton raises on purpose. Each layer has its own errors.ts
 * with subclasses; every error carries a stable `code` (`SPEC_CYCLE`, `EXEC_TIMEOUT`)
 * that programs and tests match on, and a message that says what, where and what to do.
 */
export class BatonError extends Error {
  readonly code: string;
  /** Extra facts for --json output and events (file, line, task, run id...). */
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** Turns anything thrown into an Error, keeping BatonErrors as they are. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new BatonError('UNKNOWN', typeof thrown === 'string' ? thrown : JSON.stringify(thrown) ?? String(thrown));
}

export function errorCode(thrown: unknown): string {
  return thrown instanceof BatonError ? thrown.code : 'UNKNOWN';
}
