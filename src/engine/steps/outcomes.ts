import { ExecutorError, toTaskError as executorTaskError } from '../../executors/errors.js';
import { BatonError, coerceError, errorCode } from '../../observability/errors.js';
import type { TaskError } from '../../store/events.js';
import { EngineError } from '../errors.js';
import { MAIN_KEY } from './program.js';
import { StepFailed } from './results.js';

/** How a step's work (or a wait) ended, before it is recorded. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** The two ends of a step's promise. */
export interface Settle {
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What the code's `await` of a step throws when the run is cancelled. */
export function cancelled(key: string, reason: string): StepFailed {
  return new StepFailed(key, { code: 'STEP_CANCELLED', message: reason });
}

/** Could trying the step again help? The error says (`retryable`); by default, yes. */
export function isRetryable(error: unknown): boolean {
  const flag = (error as { retryable?: unknown } | null)?.retryable;
  return typeof flag === 'boolean' ? flag : true;
}

/** What a step's thrown error is recorded as: its stable code, exit code and stderr tail when it has them. */
export function toTaskError(error: unknown): TaskError {
  if (error instanceof StepFailed) return error.taskError;
  if (error instanceof ExecutorError) return executorTaskError(error);
  const err = coerceError(error);
  const code = (error as { code?: unknown } | null)?.code;
  // An error of the code's own (a plain Error) is STEP_ERROR; one with a stable code keeps it.
  const out: TaskError = { code: typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code) ? code : error instanceof BatonError ? errorCode(error) : 'STEP_ERROR', message: err.message };
  const details = (error as { details?: Record<string, unknown> } | null)?.details;
  const exitCode = (error as { exitCode?: unknown } | null)?.exitCode ?? details?.exit_code;
  if (typeof exitCode === 'number') out.exit_code = exitCode;
  const stderr = (error as { stderrTail?: unknown } | null)?.stderrTail ?? details?.stderr_tail;
  if (typeof stderr === 'string' && stderr !== '') out.stderr_tail = stderr;
  return out;
}

/** Keys name tasks in commands (`baton logs <run> <key>`): printable, bounded, not the code's own log. */
export function checkKey(key: string): void {
  if (key === MAIN_KEY || key.length === 0 || key.length > 200 || hasControl(key)) {
    const why = key === MAIN_KEY ? `"${MAIN_KEY}" is the key of the code's own output` : 'a step id is 1 to 200 printable characters';
    throw new EngineError('STEP_KEY_INVALID', `step id ${JSON.stringify(key.slice(0, 60))} cannot be used: ${why}`, { details: { step: key.slice(0, 200) } });
  }
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
