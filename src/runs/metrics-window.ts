/**
 * Where a metrics window starts, from what a person or a program gives (`baton metrics
 * --since`, GET /api/metrics?since=, the MCP tool's `since`): a duration back from now, or
 * a date. One reading for every front end, so `7d` means the same everywhere.
 */
import { BatonError } from '../observability/errors.js';
import { momentOf } from '../spec/duration.js';

/** The window when none is given. */
export const DEFAULT_SINCE = '7d';

/** `7d`, `24h`, `30m`, `1h30m` back from `now`, or an ISO date or date-time (2026-11-22, 2026-11-22T15:40). */
export function windowStart(value: string, now: number, option = '--since'): number {
  const at = momentOf(value, now);
  if (at !== undefined) return at;
  throw new BatonError(
    'METRICS_BAD_SINCE',
    `${option} "${value}" is neither a duration back from now (7d, 24h, 30m, 1h30m) nor a date (2026-11-22, 2026-11-22T15:40): give one of those, or leave it out for the last ${DEFAULT_SINCE}`,
    { details: { option, value } },
  );
}
