/** How times and durations read in the UI: short, the same everywhere. */

/** 850ms, 12.3s, 4m 05s, 2h 03m, 3d 4h. */
export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `just now`, `5s ago`, `3m ago`, `2h ago`, `4d ago`; a date past a month. `now` is passed for tests and ticking views. */
export function relative(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const s = Math.round((now - at) / 1000);
  if (s < 0) return `in ${duration(-s * 1000)}`;
  if (s < 2) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  if (s < 30 * 86_400) return `${Math.floor(s / 86_400)}d ago`;
  return new Date(at).toISOString().slice(0, 10);
}

/** The full local time, for a title attribute beside a relative one. */
export function exact(iso: string | undefined): string {
  return iso === undefined ? '' : new Date(iso).toLocaleString();
}

/** A run id shortened as the CLI shows it (the first 10 characters are unique in practice; the API takes a prefix). */
export function shortId(id: string): string {
  return id.slice(0, 10);
}
