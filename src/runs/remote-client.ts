/**
 * A client of `baton serve`'s HTTP API (docs/server.md), for the CLI's `--server URL`:
 * JSON requests whose errors come back as the server gave them (its code, category and
 * details: ReportedError), and a run's events over server-sent events, taken up again
 * with Last-Event-ID when the connection drops.
 *
 * What can go wrong on the way has its own codes: SERVER_UNREACHABLE (refused, no such
 * host, no answer in time, the connection lost for good) and SERVER_BAD_ANSWER (an answer
 * that is not baton's JSON: another program on that port). Both say which URL, and what
 * to check.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isErrorCategory, ReportedError } from '../observability/error-categories.js';
import { BatonError } from '../observability/errors.js';
import type { StoredEvent } from '../store/events.js';

/** How long a request may take before the server counts as unreachable. */
const REQUEST_TIMEOUT_MS = 60_000;
/** The server sends a comment every 15 s on an idle stream: silence this long means the connection is dead. */
const STREAM_SILENCE_MS = 45_000;
/** Reconnecting an event stream: the waits between tries, then SERVER_UNREACHABLE once they are spent (about 30 s). */
const RECONNECT_DELAYS_MS = [250, 500, 1000, 2000, 2000, 4000, 4000, 8000, 8000];

/** A line of a task's output, as the event stream gives it. */
export interface StreamLine {
  task: string;
  attempt: number;
  stream: 'stdout' | 'stderr';
  at: number;
  text: string;
}

/** What a run's event stream gives: an event, a line of output, a keep-alive (nothing happened for a while), or its end (the run ended). */
export type StreamItem = { kind: 'event'; event: StoredEvent } | { kind: 'line'; line: StreamLine } | { kind: 'idle' } | { kind: 'end' };

export interface StreamOptions {
  /** Lines of output too, in time order with the events; default false. */
  logs?: boolean;
  /** The id of the last item received before: the stream goes on after it; default from the start. */
  after?: string;
}

export class RemoteServer {
  /** The URL as given, without a trailing slash: what messages name. */
  readonly url: string;

  /** The token sent as `Authorization: Bearer` (BATON_TOKEN or `baton login`); never printed. */
  private readonly token?: string;

  constructor(url: string, token?: string) {
    this.url = url.replace(/\/+$/, '');
    if (token) this.token = token;
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = Object.entries(query).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
    const search = params.length === 0 ? '' : `?${new URLSearchParams(params.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
    return this.request<T>('GET', `${path}${search}`);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /**
   * The run's events (and lines of output), live until the run ends: one item each, `idle`
   * on each keep-alive, `end` each time the server closes the stream (it does once the run
   * has ended). A closed or dropped connection is opened again from the last event seen
   * (Last-Event-ID), until the caller stops asking; SERVER_UNREACHABLE once the server
   * stays away. Stops when `signal` aborts.
   */
  async *runEvents(runId: string, signal: AbortSignal, options: StreamOptions = {}): AsyncGenerator<StreamItem> {
    // The id of the last item received, handed back as it was given.
    const last = { id: options.after ?? '', logs: options.logs === true };
    let failures = 0;
    for (;;) {
      let failed: unknown;
      try {
        for await (const item of this.oneStream(runId, last, signal)) {
          failures = 0;
          yield item;
        }
        // Closed by the server: a finished run's stream ends after its last event. The
        // caller stops here if that is it; if not (a server stopping), go on from seq.
        yield { kind: 'end' };
      } catch (err) {
        if (signal.aborted) return;
        // The server said no (the run is not there): nothing to wait for.
        if (err instanceof ReportedError || (err instanceof BatonError && err.code === 'SERVER_BAD_ANSWER')) throw err;
        failed = err;
      }
      const delay = RECONNECT_DELAYS_MS[failures++];
      if (delay === undefined) {
        throw new BatonError('SERVER_UNREACHABLE', `lost the connection to the baton server at ${this.url} while following run ${runId}, and it did not come back: see \`baton status --server ${this.url} ${runId}\` once it is up`, {
          cause: failed,
          details: { server: this.url, run: runId },
        });
      }
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        return;
      }
    }
  }

  /** One connection to the event stream, from after `last.id` (kept up to date); ends when the server closes it, throws when it breaks. */
  private async *oneStream(runId: string, last: { id: string; logs: boolean }, signal: AbortSignal): AsyncGenerator<StreamItem> {
    const silence = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const watch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => silence.abort(), STREAM_SILENCE_MS);
    };
    const path = `/api/runs/${encodeURIComponent(runId)}/events${last.logs ? '' : '?logs=false'}`;
    watch();
    try {
      const res = await this.fetch('GET', path, { signal: AbortSignal.any([signal, silence.signal]), headers: last.id === '' ? {} : { 'last-event-id': last.id } });
      if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) throw await this.failure(res, 'GET', path);
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        watch();
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
          const { id, item } = parseBlock(block);
          if (id !== undefined) last.id = id;
          if (item) yield item;
        }
      }
    } catch (err) {
      if (silence.signal.aborted && !signal.aborted) throw new BatonError('SERVER_UNREACHABLE', `the event stream of ${this.url} went silent`, { details: { server: this.url } });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const init = body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    const res = await this.fetch(method, path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!res.ok) throw await this.failure(res, method, path);
    const parsed = await readJson(res);
    if (parsed === undefined) throw badAnswer(this.url, method, path, res);
    return parsed as T;
  }

  /** fetch, with what stops a request from reaching the server turned into SERVER_UNREACHABLE. */
  private async fetch(method: string, path: string, init: RequestInit): Promise<Response> {
    try {
      const headers = this.token === undefined ? init.headers : { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${this.token}` };
      return await fetch(`${this.url}${path}`, { ...init, method, ...(headers === undefined ? {} : { headers }) });
    } catch (err) {
      // Stopped by the caller (or by a silent stream, which says so itself).
      if ((err as Error).name === 'AbortError') throw err;
      const why = reasonOf(err);
      throw new BatonError('SERVER_UNREACHABLE', `cannot reach the baton server at ${this.url} (${why}): start it with \`baton serve\`, or check --server (or BATON_SERVER)`, {
        cause: err,
        details: { server: this.url, reason: why },
      });
    }
  }

  /** What to do about a refusal, for the person at the command line. */
  private hintFor(category: string): string {
    if (category === 'unauthenticated') {
      return this.token === undefined
        ? ` (baton sent no token: run \`baton login ${this.url}\`, or set BATON_TOKEN)`
        : ` (the token from ${process.env.BATON_TOKEN?.trim() ? 'BATON_TOKEN' : 'baton login'} was refused: run \`baton login ${this.url}\` with a valid one)`;
    }
    if (category === 'forbidden') return ' (ask an admin for a token with that role: baton token create --role ...)';
    return '';
  }

  /** The error an answer that is not 2xx stands for: the server's own, or SERVER_BAD_ANSWER. */
  private async failure(res: Response, method: string, path: string): Promise<BatonError> {
    const parsed = (await readJson(res)) as { error?: { code?: unknown; category?: unknown; message?: unknown; details?: unknown } } | undefined;
    const error = parsed?.error;
    if (error && typeof error.code === 'string' && typeof error.message === 'string' && isErrorCategory(error.category)) {
      const details = typeof error.details === 'object' && error.details !== null ? { details: error.details as Record<string, unknown> } : {};
      return new ReportedError(error.code, error.message + this.hintFor(error.category), error.category, details);
    }
    return badAnswer(this.url, method, path, res);
  }
}

/** The server's URL from `--server` or BATON_SERVER (`source`): `http://` added to a bare `host:port`; CLI_USAGE for what is no http(s) URL. */
export function serverUrl(given: string, source: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(given) ? given : `http://${given}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new BatonError('CLI_USAGE', `${source} ${JSON.stringify(given)} is not a URL: give the address of a baton server, e.g. http://127.0.0.1:8377`, { details: { server: given } });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BatonError('CLI_USAGE', `${source} ${JSON.stringify(given)} is not an http(s) URL: give the address of a baton server, e.g. http://127.0.0.1:8377`, { details: { server: given } });
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** One SSE block: a run event or a line of output (id, event, data lines), or a comment (a keep-alive). */
function parseBlock(block: string): { id?: string; item?: StreamItem } {
  const data: string[] = [];
  let id: string | undefined;
  let name = 'message';
  let comment = false;
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':')) comment = true;
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    else if (line.startsWith('id:')) id = line.slice(3).replace(/^ /, '');
    else if (line.startsWith('event:')) name = line.slice(6).trim();
  }
  if (data.length === 0) return comment ? { id, item: { kind: 'idle' } } : { id };
  const value = JSON.parse(data.join('\n')) as Record<string, unknown> | null;
  if (typeof value !== 'object' || value === null) return { id };
  if (name === 'log') return typeof value.task === 'string' && typeof value.text === 'string' ? { id, item: { kind: 'line', line: value as unknown as StreamLine } } : { id };
  // A run event; anything else the stream may carry one day is not for the fold.
  return typeof value.seq === 'number' && typeof value.type === 'string' ? { id, item: { kind: 'event', event: value as unknown as StoredEvent } } : { id };
}

async function readJson(res: Response): Promise<unknown> {
  if (!(res.headers.get('content-type') ?? '').includes('json')) {
    await res.body?.cancel().catch(() => {});
    return undefined;
  }
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

function badAnswer(url: string, method: string, path: string, res: Response): BatonError {
  const type = res.headers.get('content-type') ?? 'no content type';
  return new BatonError('SERVER_BAD_ANSWER', `the server at ${url} answered ${method} ${path.split('?')[0]} with HTTP ${res.status} (${type}), not baton's JSON: is it \`baton serve\`? check --server (or BATON_SERVER)`, {
    details: { server: url, status: res.status },
  });
}

/** Why a request did not get through, in a few words: `connection refused`, `no such host`... */
function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out';
  }
  if ((err as Error).name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  return cause?.message ?? (err as Error).message;
}
