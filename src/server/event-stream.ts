/**
 * GET /api/runs/{id}/events: a run's feed (runs/live-feed.ts) as server-sent events.
 *
 * Memory stays bounded whatever the client does. Items are written as SSE text in batches
 * of at most BATCH_CHARS, and each batch waits until the client's connection has taken
 * the one before: Hono's stream is a TransformStream whose write() resolves only once the
 * chunk moved on, and @hono/node-server writes the response to the socket and reads the
 * next chunk only after 'drain'. The feed in turn reads the next log line only once the
 * batch holding this one is on its way. A client that stops reading stops its stream, with
 * one batch and the socket's buffers held, however much the run writes.
 */
import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { BatonError } from '../observability/errors.js';
import { parsePosition, startPosition } from '../runs/feed-position.js';
import { feedRun, type FeedItem, type FeedSink } from '../runs/live-feed.js';
import type { Store } from '../store/store.js';

/** A comment line to an idle event stream this often, so proxies keep it open. */
const KEEP_ALIVE_MS = 15_000;
/** SSE text written at once, at most (more when one line is longer). */
const BATCH_CHARS = 64 * 1024;

export interface EventStreamQuery {
  /** Log lines in the stream too; default true. */
  logs: boolean;
  /** Only this task's lines; default every task's. */
  task?: string;
  /** The Last-Event-ID header: go on after that item. */
  lastEventId?: string;
}

/** Streams `runId`'s events (and log lines) to the client; the id is checked first (400). */
export function eventStream(c: Context, store: Store, runId: string, query: EventStreamQuery): Response {
  const from = startAt(query.lastEventId);
  return streamSSE(c, async (stream) => {
    const stop = new AbortController();
    stream.onAbort(() => stop.abort());
    await feedRun(store, runId, from, new SseSink(stream), { logs: query.logs, ...(query.task === undefined ? {} : { task: query.task }), idleMs: KEEP_ALIVE_MS, signal: stop.signal });
  });
}

function startAt(lastEventId: string | undefined) {
  if (lastEventId === undefined || lastEventId.trim() === '') return startPosition();
  const parsed = parsePosition(lastEventId.trim());
  if ('position' in parsed) return parsed.position;
  throw new BatonError('API_BAD_REQUEST', `Last-Event-ID: ${parsed.problem}; send the id of an event this stream gave, or none to start from the beginning`, {
    details: { field: 'last-event-id', reason: parsed.problem },
  });
}

/** Writes items as SSE text in bounded batches, each waiting for the client to take the last. */
class SseSink implements FeedSink {
  private batch: string[] = [];
  private chars = 0;

  constructor(private readonly stream: SSEStreamingApi) {}

  send(item: FeedItem, position: string): Promise<void> | undefined {
    const text =
      item.kind === 'event'
        ? `id: ${position}\nevent: ${item.event.type}\ndata: ${JSON.stringify(item.event)}\n\n`
        : `id: ${position}\nevent: log\ndata: ${JSON.stringify({ task: item.line.task, attempt: item.line.attempt, stream: item.line.stream, at: item.line.at, text: item.line.text })}\n\n`;
    this.batch.push(text);
    this.chars += text.length;
    return this.chars >= BATCH_CHARS ? this.flush() : undefined;
  }

  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const text = this.batch.join('');
    this.batch = [];
    this.chars = 0;
    await this.stream.write(text);
  }

  async idle(): Promise<void> {
    await this.flush();
    await this.stream.write(': keep-alive\n\n');
  }
}
