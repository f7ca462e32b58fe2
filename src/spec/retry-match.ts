import type { RetryMatch } from './model.js';

/**
 * `retry_on` / `no_retry_on` as a retry policy holds them: each of exit_codes,
 * http_statuses and errors a list (a single value is a list of one). Shared by workflow
 * files (whose schema has checked the shape already) and code runs' step options (which
 * have not: `problem` says what is wrong, for STEP_BAD_OPTIONS).
 */
export function retryMatchOf(value: unknown): { match?: RetryMatch; problem?: string } {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: 'must be a mapping of exit_codes, http_statuses and errors' };
  const match: RetryMatch = {};
  for (const [field, raw] of Object.entries(value as Record<string, unknown>)) {
    const list = Array.isArray(raw) ? raw : [raw];
    if (field === 'exit_codes' || field === 'http_statuses') {
      const [low, high] = field === 'exit_codes' ? [0, 255] : [100, 599];
      if (!list.every((n) => Number.isInteger(n) && (n as number) >= low && (n as number) <= high)) return { problem: `${field} must be whole numbers from ${low} to ${high}` };
      match[field] = list as number[];
    } else if (field === 'errors') {
      if (!list.every((code) => typeof code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(code))) return { problem: 'errors must be error codes in UPPER_SNAKE_CASE (EXEC_TIMEOUT, HTTP_NETWORK...)' };
      match.errors = list as string[];
    } else {
      return { problem: `has no field ${field} (it takes exit_codes, http_statuses and errors)` };
    }
  }
  if (Object.keys(match).length === 0) return { problem: 'names no failure: give exit_codes, http_statuses or errors' };
  return { match };
}
