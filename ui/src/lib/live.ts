/**
 * A run's live event stream (GET /api/runs/{id}/events, docs/server.md#the-event-stream).
 *
 * Not the browser's EventSource: it cannot send headers, and the server takes a token only
 * as `Authorization: Bearer` (a token in the URL is refused, AUTH_TOKEN_IN_QUERY, since logs
 * and histories keep URLs). So the stream is read with fetch and parsed here, the SSE way:
 * blocks split by a blank line, `id:`, `event:`, `data:` fields. On a dropped connection it
 * reconnects with `Last-Event-ID` (the server goes on after that item, nothing twice),
 * waiting 1 s, 2 s, 4 s... up to 15 s, and says so: state `reconnecting` until it is back.
 * The stream ends by itself when the run ends (state `ended`); an error answer (404, 403)
 * stops it with the server's error (state `failed`).
 */
import { ApiError, authHeaders } from './api.js';
import { readSse, type LiveItem } from './sse.js';

export type { LiveItem };

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'ended' | 'failed';

export interface LiveOptions {
  /** Log lines too; default true. */
  logs?: boolean;
  /** Only this task's lines. */
  task?: string;
  onItem: (item: LiveItem) => void;
  onState?: (state: LiveState, error?: ApiError) => void;
}

/** Follows a run's stream until it ends or the returned function is called. */
export function followRun(runId: string, options: LiveOptions): () => void {
  const stop = new AbortController();
  void follow(runId, options, stop.signal);
  return () => stop.abort();
}

async function follow(runId: string, options: LiveOptions, signal: AbortSignal): Promise<void> {
  let lastId: string | undefined;
  let backoff = 1000;
  const params = new URLSearchParams();
  if (options.logs === false) params.set('logs', 'false');
  if (options.task) params.set('task', options.task);
  const url = `/api/runs/${encodeURIComponent(runId)}/events${params.size > 0 ? `?${params}` : ''}`;
  options.onState?.('connecting');
  while (!signal.aborted) {
    try {
      const res = await fetch(url, { headers: { accept: 'text/event-stream', ...authHeaders(), ...(lastId ? { 'last-event-id': lastId } : {}) }, signal });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
        options.onState?.('failed', new ApiError(body.error?.code ?? `HTTP_${res.status}`, body.error?.message ?? `the event stream answered ${res.status}`, res.status));
        return;
      }
      options.onState?.('open');
      backoff = 1000;
      for await (const item of readSse(res.body!)) {
        lastId = item.id || lastId;
        options.onItem(item);
      }
      // The server ends the stream when the run ends.
      options.onState?.('ended');
      return;
    } catch (err) {
      if (signal.aborted) return;
      options.onState?.('reconnecting', new ApiError('NETWORK', `the event stream dropped (${(err as Error).message}); reconnecting`, 0));
      await new Promise((resolve) => setTimeout(resolve, backoff));
      backoff = Math.min(backoff * 2, 15_000);
    }
  }
}
