import type { TaskError } from '../../store/events.js';

/**
 * A step ended without a result: it failed after its retries, was cancelled, or (for a
 * wait) was rejected or timed out. What the code's `await` throws, on the first run as on
 * a replay of the recorded failure.
 */
export class StepFailed extends Error {
  readonly code: string;
  constructor(
    readonly key: string,
    readonly taskError: TaskError,
  ) {
    super(`step ${key} failed: ${taskError.message}`);
    this.name = 'StepFailed';
    this.code = taskError.code;
  }
}

/**
 * A step's result as it is recorded and handed to the code: its JSON, read back, so the
 * first run sees exactly what a replay will. Not JSON, or bigger than `limit` bytes: the
 * step fails, and trying again would give the same. `what` names it in messages (`step deploy`).
 */
export function recordable(what: string, value: unknown, limit: number): { ok: true; value: unknown } | { ok: false; error: TaskError & { retryable: false } } {
  if (value === undefined) return { ok: true, value: undefined };
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    return notJson(what, (err as Error).message);
  }
  if (json === undefined) return notJson(what, `a ${typeof value} has no JSON form`);
  const bytes = json.length <= limit / 3 ? json.length : Buffer.byteLength(json);
  if (bytes > limit) {
    return {
      ok: false,
      error: {
        code: 'STEP_RESULT_TOO_LARGE',
        message: `the result of ${what} is ${size(bytes)} of JSON, over the limit of ${size(limit)}: return less (an id, a path, a count) and keep the bulk in a file, or raise the limit with step_result_limit (in workflow()), or limits.step_result_bytes in baton.config.yaml`,
        retryable: false,
      },
    };
  }
  return { ok: true, value: JSON.parse(json) };
}

function notJson(what: string, why: string): { ok: false; error: TaskError & { retryable: false } } {
  return {
    ok: false,
    error: { code: 'STEP_RESULT_NOT_JSON', message: `the result of ${what} cannot be recorded as JSON (${why}): return plain data`, retryable: false },
  };
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${+(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** An error a step's work can throw to say whether trying again could help. */
export class StepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** Default largest step result (JSON), configurable per workflow. */
export const DEFAULT_RESULT_LIMIT = 1024 * 1024;

/**
 * The largest step result of a workflow that sets none: BATON_STEP_RESULT_LIMIT (the CLI
 * sets it from baton.config.yaml's limits.step_result_bytes), else DEFAULT_RESULT_LIMIT.
 */
export function stepResultLimit(workflow: object, env: NodeJS.ProcessEnv = process.env): number {
  const own = (workflow as { step_result_limit?: number }).step_result_limit;
  if (own !== undefined) return own;
  const value = Number(env.BATON_STEP_RESULT_LIMIT);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_RESULT_LIMIT;
}
