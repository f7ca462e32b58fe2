import { formatMs } from './attempts.js';
import type { LeafTask, RetryMatch, RetryPolicy } from '../spec/model.js';
import type { TaskState } from './state.js';
import type { TaskError } from '../store/events.js';

/**
 * The wait before retry number `retry` (1 = the first retry), from the task's policy.
 * `random` in [0, 1) spreads retries of many tasks apart (jitter) and is passed in so the
 * decision stays pure.
 */
export function retryDelay(policy: RetryPolicy, retry: number, random: number): number {
  let delay: number;
  switch (policy.backoff) {
    case 'fixed':
      delay = policy.delay;
      break;
    case 'linear':
      delay = policy.delay * retry;
      break;
    case 'exponential':
      delay = policy.delay * Math.pow(policy.factor, retry - 1);
      break;
  }
  if (policy.max_delay !== undefined) delay = Math.min(delay, policy.max_delay);
  const spread = delay * policy.jitter * (random * 2 - 1);
  return Math.max(0, Math.round(delay + spread));
}

/** What `notRetried` needs to know about a failed attempt. */
export interface RetryDecision {
  error: TaskError;
  /** What the executor said: could the same attempt again help? */
  retryable: boolean;
  policy?: RetryPolicy;
  /** Attempts that count against the policy, this one included. */
  counted: number;
  cancelled: boolean;
}

/**
 * Why a failed attempt is not tried again, in words for the summary (`HTTP 404 is not
 * retryable`, `attempts exhausted (3 of 3)`), or undefined when it will be retried. The one
 * place the decision is made: the scheduler retries exactly when this says nothing.
 */
export function notRetried(d: RetryDecision): string | undefined {
  const policy = d.policy;
  if (policy === undefined) return 'no retry configured';
  if (policy.no_retry_on !== undefined && matches(policy.no_retry_on, d.error)) return `${failureName(d.error)} is listed in no_retry_on`;
  if (policy.retry_on !== undefined) {
    if (!matches(policy.retry_on, d.error)) return `${failureName(d.error)} is not listed in retry_on`;
  } else if (!d.retryable) return notRetryable(d.error);
  if (d.cancelled) return 'the run is being cancelled';
  if (d.counted >= policy.attempts) return `attempts exhausted (${d.counted} of ${policy.attempts})`;
  return undefined;
}

/**
 * A retry the policy allows, but that would start `startsAfter` ms after the task's first
 * attempt started: past its `max_duration` it does not happen (why, in words), else undefined.
 */
export function budgetSpent(policy: RetryPolicy, startsAfter: number): string | undefined {
  if (policy.max_duration === undefined || startsAfter <= policy.max_duration) return undefined;
  return `the retry budget is spent (max_duration ${formatMs(policy.max_duration)}; the next attempt would start ${formatMs(startsAfter)} after the first)`;
}

/** A failure that matches one of the exit codes, HTTP statuses or error codes listed (retry_on, no_retry_on; a circuit's count_on). */
export function matches(match: RetryMatch, error: TaskError): boolean {
  if (error.exit_code !== undefined && match.exit_codes?.includes(error.exit_code)) return true;
  if (error.http_status !== undefined && match.http_statuses?.includes(error.http_status)) return true;
  return match.errors?.includes(error.code) ?? false;
}

/** `exit code 2`, `HTTP 404`, `EXEC_TIMEOUT`: the failure as retry_on names it. */
function failureName(error: TaskError): string {
  if (error.exit_code !== undefined) return `exit code ${error.exit_code}`;
  if (error.http_status !== undefined) return `HTTP ${error.http_status}`;
  return error.code;
}

/** `HTTP 404 is not retryable (...)`: the kind of failure, named as a person would. */
function notRetryable(error: TaskError): string {
  switch (error.code) {
    case 'HTTP_STATUS': {
      const status = /-> (\d{3})\b/.exec(error.message)?.[1];
      return `${status === undefined ? 'this HTTP status' : `HTTP ${status}`} is not retryable (only 408, 429 and 5xx are)`;
    }
    case 'HTTP_REQUEST':
      return 'a malformed request is not retryable';
    case 'EXEC_SPAWN':
      return 'a program that cannot be started is not retryable';
    case 'SCRIPT_OUTPUT':
      return 'unreadable outputs ($BATON_OUTPUT) are not retryable';
    case 'EXEC_UNKNOWN_TYPE':
      return 'an unknown task type is not retryable';
    case 'EXEC_ABORTED':
      return 'a stopped task is not retryable';
    case 'BROKER_REFUSED':
      return 'a message the broker refused is not retryable';
    case 'BROKER_AUTH':
      return 'credentials the broker refused are not retryable';
    case 'BROKER_URL':
      return 'a URL that names no broker is not retryable';
    case 'SQL_QUERY':
      return 'a statement the database refused is not retryable (only deadlocks, serialization failures and lock timeouts are)';
    case 'SQL_CONNECT':
      return 'a refused login, a missing database or an unopenable file is not retryable';
    case 'SQL_MIGRATION':
    case 'SQL_MIGRATION_CHANGED':
      return 'a failed or edited migration is not retryable: fix it, then run again';
    case 'SQL_PARAMS':
      return 'params that do not fit the SQL are not retryable';
    case 'SQL_CONNECTION':
      return 'a connection that names no database is not retryable';
    default:
      return `${error.code.startsWith('EXPR_') ? 'an expression error' : error.code} is not retryable`;
  }
}

/**
 * What follows a leaf task's failed attempt: a retry at `retryAt`, its fallback
 * (`fallback`), or nothing (`why` says why not, for the record). Once its fallback took
 * over, the fallback's retry policy counts the fallback's attempts.
 */
export function afterFailure(f: {
  task: TaskState;
  spec: LeafTask;
  attempt: number;
  error: TaskError;
  retryable: boolean;
  cancelled: boolean;
  now: number;
  random: () => number;
}): { why?: string; retryAt?: number; fallback: boolean } {
  const { task, spec: own, attempt, cancelled } = f;
  const inFallback = own.fallback !== undefined && task.fallbackFrom !== undefined;
  const spec = inFallback ? own.fallback! : own;
  const policy = spec.retry;
  // Interrupted attempts, and those before a `baton retry`, do not count against the policy.
  const counted = inFallback ? attempt - Math.max(task.fallbackFrom! - 1, task.attemptOffset) : attempt - task.attemptOffset;
  let why = notRetried({ error: f.error, retryable: f.retryable, policy, counted, cancelled });
  if (why === undefined && policy !== undefined) {
    const retryAt = f.now + retryDelay(policy, counted, f.random());
    why = task.firstStartedAt === undefined ? undefined : budgetSpent(policy, retryAt - task.firstStartedAt);
    if (why === undefined) return { retryAt, fallback: false };
  }
  // Its own attempts are over: the fallback runs next, as the task's next attempt.
  return { why, fallback: own.fallback !== undefined && !inFallback && !cancelled };
}
