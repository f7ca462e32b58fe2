/** Times in the human views, and `--since` (a duration back from now, or a date). */
import { BatonError } from '../../observability/errors.js';
import { momentOf } from '../../spec/duration.js';

/** `--since 30m` / `2h` / `1d` / `1h30m` (back from `now`), or an ISO date or date-time. */
export function parseSince(value: string, now: number): number {
  const at = momentOf(value, now);
  if (at !== undefined) return at;
  throw new BatonError(
    'CLI_BAD_SINCE',
    `--since "${value}" is neither a duration (30m, 2h, 1d, 1h30m) nor a date (2026-11-22, 2026-11-22T15:40)`,
    { details: { option: '--since' } },
  );
}

/** `just now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`; the local date once a week old. */
export function relativeTime(at: number, now: number): string {
  const ago = now - at;
  if (ago < 0) return localTime(at);
  if (ago < 5_000) return 'just now';
  if (ago < 60_000) return `${Math.floor(ago / 1000)}s ago`;
  if (ago < 3_600_000) return `${Math.floor(ago / 60_000)}m ago`;
  if (ago < 86_400_000) return `${Math.floor(ago / 3_600_000)}h ago`;
  if (ago < 7 * 86_400_000) return `${Math.floor(ago / 86_400_000)}d ago`;
  return localTime(at).slice(0, 10);
}

/** `2026-11-22 15:40:01` in the local time zone. */
export function localTime(at: number): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function iso(at: number | undefined): string | undefined {
  return at === undefined ? undefined : new Date(at).toISOString();
}
