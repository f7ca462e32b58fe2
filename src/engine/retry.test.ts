import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../spec/model.js';
import { budgetSpent, notRetried, retryDelay } from './retry.js';

const policy = (extra: Partial<RetryPolicy>): RetryPolicy => ({
  attempts: 5,
  delay: 100,
  backoff: 'exponential',
  factor: 2,
  jitter: 0,
  ...extra,
});

describe('retryDelay', () => {
  it('grows exponentially by the factor', () => {
    expect([1, 2, 3, 4].map((n) => retryDelay(policy({}), n, 0.5))).toEqual([100, 200, 400, 800]);
    expect([1, 2, 3].map((n) => retryDelay(policy({ factor: 3 }), n, 0.5))).toEqual([100, 300, 900]);
  });

  it('grows linearly or stays fixed', () => {
    expect([1, 2, 3].map((n) => retryDelay(policy({ backoff: 'linear' }), n, 0.5))).toEqual([100, 200, 300]);
    expect([1, 2, 3].map((n) => retryDelay(policy({ backoff: 'fixed' }), n, 0.5))).toEqual([100, 100, 100]);
  });

  it('is capped by max_delay', () => {
    expect(retryDelay(policy({ max_delay: 250 }), 5, 0.5)).toBe(250);
  });

  it('spreads waits by the jitter fraction, both ways', () => {
    const p = policy({ jitter: 0.1 });
    expect(retryDelay(p, 1, 0)).toBe(90);
    expect(retryDelay(p, 1, 0.5)).toBe(100);
    expect(retryDelay(p, 1, 0.999999)).toBe(110);
  });
});

describe('notRetried: why a failure is not tried again', () => {
  const error = (code: string, message = 'x') => ({ code, message });
  const decide = (extra: Partial<Parameters<typeof notRetried>[0]>) =>
    notRetried({ error: error('EXEC_EXIT_CODE'), retryable: true, policy: policy({ attempts: 3 }), counted: 1, cancelled: false, ...extra });

  it('says nothing when a retry follows', () => {
    expect(decide({})).toBeUndefined();
  });

  it('names the reason: no policy, not retryable, cancelled, exhausted', () => {
    expect(decide({ policy: undefined })).toBe('no retry configured');
    expect(decide({ retryable: false, error: error('HTTP_STATUS', 'GET http://h/x -> 404 Not Found, expected 200-399') })).toBe(
      'HTTP 404 is not retryable (only 408, 429 and 5xx are)',
    );
    expect(decide({ retryable: false, error: error('EXPR_EVAL') })).toBe('an expression error is not retryable');
    expect(decide({ retryable: false, error: error('EXEC_SPAWN') })).toBe('a program that cannot be started is not retryable');
    expect(decide({ retryable: false, error: error('BROKER_REFUSED') })).toBe('a message the broker refused is not retryable');
    expect(decide({ retryable: false, error: error('SQL_QUERY') })).toBe('a statement the database refused is not retryable (only deadlocks, serialization failures and lock timeouts are)');
    expect(decide({ retryable: false, error: error('SQL_MIGRATION') })).toBe('a failed or edited migration is not retryable: fix it, then run again');
    expect(decide({ cancelled: true })).toBe('the run is being cancelled');
    expect(decide({ counted: 3 })).toBe('attempts exhausted (3 of 3)');
  });
});

describe('retry_on, no_retry_on and max_duration', () => {
  const failure = (extra: Record<string, unknown>) => ({ code: 'EXEC_EXIT_CODE', message: 'x', ...extra });
  const decide = (p: Partial<RetryPolicy>, error: ReturnType<typeof failure>, retryable = true) => notRetried({ error, retryable, policy: policy({ attempts: 3, ...p }), counted: 1, cancelled: false });

  it('retry_on: only what it names is retried, even a failure the task type calls final', () => {
    const on = { retry_on: { exit_codes: [75], http_statuses: [404], errors: ['EXEC_TIMEOUT'] } };
    expect(decide(on, failure({ exit_code: 75 }))).toBeUndefined();
    expect(decide(on, failure({ exit_code: 1 }))).toBe('exit code 1 is not listed in retry_on');
    expect(decide(on, failure({ code: 'HTTP_STATUS', http_status: 404 }), false)).toBeUndefined();
    expect(decide(on, failure({ code: 'HTTP_STATUS', http_status: 500 }))).toBe('HTTP 500 is not listed in retry_on');
    expect(decide(on, failure({ code: 'EXEC_TIMEOUT' }))).toBeUndefined();
  });

  it('no_retry_on wins over retry_on and over a retryable failure', () => {
    expect(decide({ no_retry_on: { exit_codes: [2] } }, failure({ exit_code: 2 }))).toBe('exit code 2 is listed in no_retry_on');
    expect(decide({ no_retry_on: { errors: ['EXEC_EXIT_CODE'] }, retry_on: { exit_codes: [2] } }, failure({ exit_code: 2 }))).toBe('exit code 2 is listed in no_retry_on');
    expect(decide({ no_retry_on: { exit_codes: [2] } }, failure({ exit_code: 3 }))).toBeUndefined();
  });

  it('still counts attempts', () => {
    expect(notRetried({ error: failure({ exit_code: 75 }), retryable: true, policy: policy({ attempts: 2, retry_on: { exit_codes: [75] } }), counted: 2, cancelled: false })).toBe('attempts exhausted (2 of 2)');
  });

  it('max_duration: a retry that would start past the budget does not happen', () => {
    expect(budgetSpent(policy({}), 1_000_000)).toBeUndefined();
    expect(budgetSpent(policy({ max_duration: 5_000 }), 4_000)).toBeUndefined();
    expect(budgetSpent(policy({ max_duration: 5_000 }), 6_500)).toBe('the retry budget is spent (max_duration 5s; the next attempt would start 6.5s after the first)');
  });
});
