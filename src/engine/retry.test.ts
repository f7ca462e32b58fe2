import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../spec/model.js';
import { notRetried, retryDelay } from './retry.js';

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
