import type { RetryPolicy } from '../spec/model.js';

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
