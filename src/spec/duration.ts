import { SpecError } from './errors.js';

/**
 * Durations in workflow files: `500ms`, `30s`, `5m`, `1h`, `2d` and sums such as `1h30m`
 * or `1m 30s`. A bare number (or numeric string) is in `bareUnit`: seconds for timeouts,
 * sleeps and run limits, milliseconds for retry delays (as in the seed format).
 */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a duration string looks like; also used by the JSON Schema. */
export const DURATION_PATTERN = '^\\s*(\\d+(\\.\\d+)?\\s*(ms|s|m|h|d)\\s*)+$|^\\s*\\d+(\\.\\d+)?\\s*$';
const COMPONENT = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;
const BARE = /^\s*\d+(\.\d+)?\s*$/;

/** Milliseconds for a duration value; throws SpecError(SPEC_DURATION) when it is not one. */
export function parseDuration(value: unknown, bareUnit: 'ms' | 's'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw invalid(value);
    return Math.round(value * UNIT_MS[bareUnit]);
  }
  if (typeof value !== 'string') throw invalid(value);
  if (BARE.test(value)) return Math.round(Number(value) * UNIT_MS[bareUnit]);
  const text = value.trim();
  if (text === '') throw invalid(value);
  COMPONENT.lastIndex = 0;
  let total = 0;
  let at = 0;
  while (at < text.length) {
    COMPONENT.lastIndex = at;
    const match = COMPONENT.exec(text);
    if (match === null) throw invalid(value);
    total += Number(match[1]) * UNIT_MS[match[2]];
    at = COMPONENT.lastIndex;
    while (text[at] === ' ') at++;
  }
  return Math.round(total);
}

function invalid(value: unknown): SpecError {
  return new SpecError(
    'SPEC_DURATION',
    `invalid duration ${JSON.stringify(value) ?? String(value)}: use a number or a string like 500ms, 30s, 5m, 1h or 1h30m`,
  );
}

/**
 * A moment given as text (`--since`, `?since=`): a duration back from `now` (`30m`, `2h`,
 * `7d`, `1h30m`; a bare number has no obvious unit, so it is not one) or an ISO date or
 * date-time (2026-11-22, 2026-11-22T15:40). Undefined when it is neither: the caller says
 * what is wrong in its own words.
 */
export function momentOf(value: string, now: number): number | undefined {
  const text = value.trim();
  if (/^\d/.test(text) && /[a-z]$/i.test(text)) {
    try {
      return now - parseDuration(text, 's');
    } catch {
      // Not a duration: maybe a date below.
    }
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text);
    if (Number.isFinite(at)) return at;
  }
  return undefined;
}
