/**
 * The runs of one page, kept fresh: asked for again every 2 s (GET /api/runs with the page's
 * filters and cursor; the API has no stream of new runs, and a page is one seek in the runs'
 * index, so this stays cheap with 100,000 runs). On the first page new runs come in at the
 * top; a later page keeps its place (same cursor) and its rows' statuses change in place.
 * A failed poll keeps the rows shown and reports the error; the next success clears it.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, query as queryString } from '../../lib/api.js';
import { PAGE_SIZE, type RunsQuery } from './runs-query.js';

export interface RunRow {
  run_id: string;
  workflow: { name: string; version?: string };
  status: string;
  created_at: string;
  started_at?: string;
  ended_at?: string;
  duration_ms?: number;
  elapsed_ms?: number;
  error?: { code?: string; message?: string };
  counts?: Record<string, number>;
}

export interface RunsPage {
  runs: RunRow[];
  next_cursor?: string;
}

export const POLL_MS = 2000;

export function useRuns(filters: RunsQuery): { page?: RunsPage; error?: unknown; loading: boolean; refresh: () => void } {
  const [page, setPage] = useState<RunsPage>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(filters);

  useEffect(() => {
    setLoading(true);
    setPage(undefined);
  }, [key]);

  useEffect(() => {
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The next ask is set once this one is answered, so a slow server is never asked twice at once.
    const again = () => {
      if (!stop.signal.aborted) timer = setTimeout(() => setTick((n) => n + 1), POLL_MS);
    };
    const path = `/api/runs${queryString({ limit: PAGE_SIZE, workflow: filters.workflow, status: filters.status, since: filters.since, trigger: filters.trigger, cursor: filters.cursor })}`;
    api<RunsPage>(path, { signal: stop.signal }).then(
      (next) => {
        setPage(next);
        setError(undefined);
        setLoading(false);
        again();
      },
      (err: unknown) => {
        if ((err as Error).name === 'AbortError') return;
        setError(err);
        setLoading(false);
        again();
      },
    );
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, [key, tick]);

  return { page, error, loading, refresh: () => setTick((n) => n + 1) };
}
