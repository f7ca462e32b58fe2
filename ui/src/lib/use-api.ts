/**
 * One GET kept fresh: asked for when `path` changes and again every `pollMs` (if given) once
 * the last answer came, so a slow server is never asked twice at once. A failed ask keeps
 * the last data shown and reports the error (the view puts it in an <ErrorBanner>); the
 * next success clears it. `reload()` asks at once (after an action changed something).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';

export interface Fetched<T> {
  data?: T;
  error?: unknown;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | undefined, pollMs?: number): Fetched<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    setData(undefined);
    setLoading(true);
  }, [path]);

  useEffect(() => {
    if (path === undefined) return;
    const stop = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    api<T>(path, { signal: stop.signal }).then(
      (answer) => {
        setData(answer);
        setError(undefined);
      },
      (err: unknown) => {
        if ((err as Error).name !== 'AbortError') setError(err);
      },
    ).finally(() => {
      if (stop.signal.aborted) return;
      setLoading(false);
      if (pollMs !== undefined) timer = setTimeout(() => setTick((n) => n + 1), pollMs);
    });
    return () => {
      stop.abort();
      clearTimeout(timer);
    };
  }, [path, tick]);

  return { data, error, loading, reload: () => setTick((n) => n + 1) };
}
