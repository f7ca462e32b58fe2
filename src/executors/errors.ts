/**
 * Errors raised by executors. Each carries a stable code and says whether trying the
 * same task again could help (`retryable`); the engine turns it into a TaskFailed event
 * with toTaskError() and decides, with the task's retry policy, what happens next.
 */
import { BatonError } from '../observability/errors.js';
import type { BrokerErrorCode } from '../brokers/errors.js';
import type { SqlErrorCode } from './sql/errors.js';
import type { TaskError } from '../store/events.js';

export type ExecutorErrorCode =
  /** A publish task's broker (brokers/errors.ts): its URL, reaching it, its credentials, its refusal, its confirmation. */
  | BrokerErrorCode
  /** A sql task (executors/sql/errors.ts): its connection, reaching the database, a statement refused, a migration failed. */
  | SqlErrorCode
  /** The process exited with a non-zero code. Retryable. */
  | 'EXEC_EXIT_CODE'
  /** The process was killed by a signal nobody in baton sent (OOM killer, kill -9). Retryable. */
  | 'EXEC_SIGNAL'
  /** The program or script could not be started (not found, not executable, no such cwd). Not retryable. */
  | 'EXEC_SPAWN'
  /** A command, argument, cwd or environment value holds a NUL byte, which no process can receive. Not retryable. */
  | 'EXEC_NUL_BYTE'
  /** The AbortSignal fired; `cause` is signal.reason, so the engine tells timeout from cancel. */
  | 'EXEC_ABORTED'
  /** An executor was asked for a task type it does not know. Not retryable. */
  | 'EXEC_UNKNOWN_TYPE'
  /** A skill task outside a run that can start child runs. Not retryable. */
  | 'EXEC_NO_SKILLS'
  /** A workflow task outside a run that can start child runs. Not retryable. */
  | 'EXEC_NO_CHILD_RUNS'
  /** A notify task naming a channel the configuration does not have. Not retryable. */
  | 'NOTIFY_UNKNOWN_CHANNEL'
  /** A channel's URL, signing key, user or password comes from an environment variable that is not set. Not retryable. */
  | 'NOTIFY_ENV_UNSET'
  /** A channel's secret comes from a file that cannot be read or is empty. Not retryable. */
  | 'NOTIFY_SECRET_FILE'
  /** A channel's URL, read from a variable or a file, is not one it can send to. Not retryable. */
  | 'NOTIFY_BAD_URL'
  /** The SMTP server refused the email or the login. Retryable for a 4xx reply (try later), not for 5xx. */
  | 'NOTIFY_SMTP'
  /** The SMTP server could not be reached or the connection broke. Retryable. */
  | 'NOTIFY_SMTP_NETWORK'
  /** A command channel's program exited non-zero. Retryable, except exit 2 (the notice can never be sent). */
  | 'NOTIFY_COMMAND_EXIT'
  /** A command channel's program ran past its timeout and was killed. Retryable. */
  | 'NOTIFY_COMMAND_TIMEOUT'
  /** An HTTP response had an unexpected status. Retryable for 408, 429 and 5xx only. */
  | 'HTTP_STATUS'
  /** The HTTP request could not be sent or its response not read (refused, reset, DNS). Retryable. */
  | 'HTTP_NETWORK'
  /** The HTTP request is malformed (bad URL, a body on GET, a bad header). Not retryable. */
  | 'HTTP_REQUEST'
  /** The outputs a process wrote ($BATON_OUTPUT) could not be parsed. Not retryable. */
  | 'SCRIPT_OUTPUT'
  /** A docker task, and no docker CLI on PATH. Not retryable. */
  | 'DOCKER_NOT_FOUND'
  /** A data_processor's input globs matched no file (and `allow_empty` is not set). Not retryable. */
  | 'DATA_NO_INPUT'
  /** An input file could not be read, or is not the JSON its format says. Not retryable. */
  | 'DATA_INPUT'
  /** The processor wrote a line that is not JSON to a json/jsonl output, or the output could not be written. Not retryable. */
  | 'DATA_OUTPUT'
  /** One record (a line, or an element of a JSON array) is longer than a record may be. Not retryable. */
  | 'DATA_RECORD_TOO_LONG';

export interface ExecutorErrorOptions {
  retryable: boolean;
  exit_code?: number;
  stderr_tail?: string;
  cause?: unknown;
  details?: Record<string, unknown>;
}

export class ExecutorError extends BatonError {
  declare readonly code: ExecutorErrorCode;
  readonly retryable: boolean;
  readonly exit_code?: number;
  readonly stderr_tail?: string;

  constructor(code: ExecutorErrorCode, message: string, options: ExecutorErrorOptions) {
    super(code, message, { cause: options.cause, details: options.details });
    this.retryable = options.retryable;
    if (options.exit_code !== undefined) this.exit_code = options.exit_code;
    if (options.stderr_tail !== undefined && options.stderr_tail !== '') this.stderr_tail = options.stderr_tail;
  }
}

/** The EXEC_ABORTED error for a signal that fired; its cause is the signal's reason. */
export function abortedError(signal: AbortSignal, what: string): ExecutorError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
  return new ExecutorError('EXEC_ABORTED', `${what} was stopped: ${why}`, { retryable: false, cause: reason });
}

/** What a TaskFailed event records of any thrown value. */
export function toTaskError(thrown: unknown): TaskError {
  if (thrown instanceof ExecutorError) {
    const error: TaskError = { code: thrown.code, message: thrown.message };
    if (thrown.exit_code !== undefined) error.exit_code = thrown.exit_code;
    if (thrown.stderr_tail !== undefined) error.stderr_tail = thrown.stderr_tail;
    const status = (thrown.details as { status?: unknown } | undefined)?.status;
    if (thrown.code === 'HTTP_STATUS' && typeof status === 'number') error.http_status = status;
    return error;
  }
  if (thrown instanceof BatonError) return { code: thrown.code, message: thrown.message };
  if (thrown instanceof Error) return { code: 'UNKNOWN', message: thrown.message };
  return { code: 'UNKNOWN', message: typeof thrown === 'string' ? thrown : String(thrown) };
}

/** Whether trying again could help; errors that are not ExecutorErrors are bugs, so no. */
export function isRetryable(thrown: unknown): boolean {
  return thrown instanceof ExecutorError && thrown.retryable;
}

export type SandboxErrorCode =
  /** bwrap is missing or cannot make a sandbox here (no user namespaces); or it failed to set one up. */
  | 'SANDBOX_UNAVAILABLE'
  /** A `--sandbox` value that is not a mode. */
  | 'SANDBOX_MODE'
  /** A folder the sandbox would make writable is missing, not a folder, or `/`. */
  | 'SANDBOX_WRITABLE'
  /** The store is reached over the network (a URL), and the sandbox has none. */
  | 'SANDBOX_STORE_NETWORK'
  /** BATON_SANDBOX says this process is in a sandbox, and it is not (or the value is not baton's). */
  | 'SANDBOX_NOT_INSIDE';

/** Why a run cannot be put in the sandbox it asks for (executors/sandbox.ts, cli/sandbox.ts); nothing has run. */
export class SandboxError extends BatonError {
  declare readonly code: SandboxErrorCode;

  constructor(code: SandboxErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options);
  }
}
