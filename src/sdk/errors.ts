/**
 * Errors raised by the helpers a TypeScript workflow's steps call (ctx.sh, ctx.http).
 * Each carries a stable code and says whether running the step again could help
 * (`retryable`), as executors' errors do. HTTP failures themselves are the http task's
 * errors (HTTP_STATUS, HTTP_NETWORK...), since both go through one function.
 */
import { BatonError } from '../observability/errors.js';

export type SdkErrorCode =
  /** A command exited with a non-zero code, or was killed by a signal nobody in baton sent. Retryable. */
  | 'SH_EXIT'
  /** A value interpolated into ctx.sh cannot become shell words (null, an object, a NUL byte, inside backticks). Not retryable. */
  | 'SH_BAD_VALUE'
  /** `.json()` of a command's stdout that is not JSON, or was cut at maxBuffer. Not retryable. */
  | 'SH_JSON'
  /** `.json()` of a response body that is not JSON, or was cut at the body limit. Not retryable. */
  | 'HTTP_JSON';

export class SdkError extends BatonError {
  declare readonly code: SdkErrorCode;
  readonly retryable: boolean;

  constructor(code: SdkErrorCode, message: string, options: { retryable: boolean; cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, { cause: options.cause, details: options.details });
    this.retryable = options.retryable;
  }
}
