/**
 * Percentiles by nearest rank: the value at rank ceil(p/100 * n) of the sorted values. Every
 * figure is one that was observed (no interpolation between two runs that happened), and a
 * handful of values give the answers a person expects: p50 of [1, 2, 3, 4] is 2.
 */

/** The middle, the 95th percentile and the largest of some values (ms). */
export interface Spread {
  p50: number;
  p95: number;
  max: number;
}

/** The value at percentile `p` (0-100] of values sorted ascending; undefined when there are none. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** p50, p95 and max of `values` (sorted here, in place); undefined when there are none. */
export function spread(values: number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50)!, p95: percentile(values, 95)!, max: values[values.length - 1] };
}

/** The mean, rounded to a whole ms; undefined when there are no values. */
export function mean(total: number, count: number): number | undefined {
  return count === 0 ? undefined : Math.round(total / count);
}
