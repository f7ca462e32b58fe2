/**
 * The Runs view's state that lives in the URL (`/?workflow=hello&status=failed&trigger=schedule&since=24h&cursor=...`),
 * so a filter or a page survives a reload, the back button, and a link sent to someone.
 */
export interface RunsQuery {
  workflow?: string;
  status?: string;
  /** A duration back from now (`1h`, `24h`, `7d`), as GET /api/runs?since= reads it. */
  since?: string;
  /** What fired the runs (schedule, webhook...; manual: started by hand), as GET /api/runs?trigger= reads it. */
  trigger?: string;
  /** The page: the next_cursor of the page before; none for the newest. */
  cursor?: string;
}

export const STATUSES = ['pending', 'queued', 'running', 'waiting', 'interrupted', 'succeeded', 'failed', 'cancelled'] as const;
export const TRIGGERS = ['manual', 'schedule', 'webhook', 'file_change', 'event', 'message'] as const;
export const RANGES: Array<{ value: string; label: string }> = [
  { value: '', label: 'any time' },
  { value: '1h', label: 'last hour' },
  { value: '24h', label: 'last 24 hours' },
  { value: '7d', label: 'last 7 days' },
  { value: '30d', label: 'last 30 days' },
];

/** Rows per page: enough to fill 1280x800, few enough to read. */
export const PAGE_SIZE = 25;

export function readQuery(search: URLSearchParams): RunsQuery {
  const pick = (key: string) => search.get(key) || undefined;
  return { workflow: pick('workflow'), status: pick('status'), since: pick('since'), trigger: pick('trigger'), cursor: pick('cursor') };
}

export function hrefOf(query: RunsQuery): string {
  const search = new URLSearchParams();
  for (const key of ['workflow', 'status', 'trigger', 'since', 'cursor'] as const) if (query[key]) search.set(key, query[key]!);
  const text = search.toString();
  return text === '' ? '/' : `/?${text}`;
}
