/**
 * ctx.http: an HTTP request from a TypeScript workflow's step, under the http task's rules
 * (executors/http.ts sends both): headers checked for injection, objects sent as JSON,
 * basic or bearer auth, redirects followed as fetch does, at most BODY_MAX_BYTES of body
 * read, the exchange logged, and the same errors, HTTP_STATUS for a status outside
 * expect_status (default 200-399) included, unless the request says `nothrow`.
 *
 * A request object comes from code that may be plain JavaScript, so its fields are
 * checked here: a misspelt field (`expectStatus`) is refused, not ignored.
 */
import { parseDuration } from '../spec/duration.js';
import { ExecutorError } from '../executors/errors.js';
import { BODY_MAX_BYTES, sendHttp, type HttpCall, type HttpReply } from '../executors/http.js';
import { parseResultJson } from './result-json.js';

export interface HttpIO {
  /** Aborting stops the request and rejects with EXEC_ABORTED. Default: never aborted. */
  signal?: AbortSignal;
  /** The body as it arrives ('stdout') and a line `GET url -> 200 (12 ms)` ('stderr'); default: not streamed anywhere. */
  output?: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** Who sends the request, for messages (`step fetch-pods`); default `ctx.http`. */
  where?: string;
}

export interface HttpRequest {
  url: string | URL;
  /** Default GET. */
  method?: string;
  /** Default none. */
  headers?: Record<string, string>;
  /** A string is sent as it is; anything else as JSON with content-type application/json. Default: no body. */
  body?: unknown;
  /** Sets the authorization header unless `headers` has one. Default: none. */
  auth?: { username: string; password: string } | { bearer: string };
  /** Statuses that count as success; default 200-399. */
  expect_status?: number[];
  /** Resolve whatever the status; default false. */
  nothrow?: boolean;
  /** Give up after this long ('30s', or milliseconds), with a retryable HTTP_NETWORK; default: only the step's own timeout applies. */
  timeout?: string | number;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  /** Names lower-cased. */
  headers: Record<string, string>;
  /** At most BODY_MAX_BYTES of the body, as text. */
  body: string;
  /** Whether the body was longer than BODY_MAX_BYTES (the rest was discarded). */
  truncated: boolean;
  /** The body parsed as JSON; throws HTTP_JSON when it is not JSON or was truncated. */
  json<T = unknown>(): T;
}

export type Http = (request: string | URL | HttpRequest) => Promise<HttpResponse>;

const FIELDS = new Set(['url', 'method', 'headers', 'body', 'auth', 'expect_status', 'nothrow', 'timeout']);
const NEVER = new AbortController().signal;

/** `io` is asked at every request, so each is sent with the signal and output of the step it is in. */
export function makeHttp(io: () => HttpIO): Http {
  return (request) => send(request, io());
}

async function send(input: string | URL | HttpRequest, io: HttpIO): Promise<HttpResponse> {
  const where = io.where ?? 'ctx.http';
  const request: HttpRequest = typeof input === 'string' || input instanceof URL ? { url: input } : input;
  const call = toCall(request, where);
  const timeoutMs = timeoutOf(request, where);
  const outer = io.signal ?? NEVER;
  let signal = outer;
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs !== undefined) {
    const controller = new AbortController();
    timer = setTimeout(() => controller.abort(new Error(`no complete response within ${request.timeout}`)), timeoutMs);
    signal = AbortSignal.any([outer, controller.signal]);
  }
  const output = io.output;
  const log = { stdout: (chunk: string) => output?.('stdout', chunk), stderr: (chunk: string) => output?.('stderr', chunk) };
  let reply: HttpReply;
  try {
    reply = await sendHttp(call, where, log, signal, { anyStatus: request.nothrow === true });
  } catch (err) {
    // The request's own timeout is a slow server, which another try may find well: not a stop.
    if (signal.aborted && !outer.aborted && err instanceof ExecutorError && err.code === 'EXEC_ABORTED') {
      throw new ExecutorError('HTTP_NETWORK', `${call.method} ${call.url} failed: no complete response within ${typeof request.timeout === 'number' ? `${request.timeout} ms` : request.timeout} (its timeout)`, { retryable: true, cause: err });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return response(call, reply);
}

function response(call: HttpCall, reply: HttpReply): HttpResponse {
  const { status, statusText, headers, text, truncated } = reply;
  return {
    status,
    statusText,
    headers,
    body: text,
    truncated,
    json<T>(): T {
      return parseResultJson<T>(text, {
        what: `the response body of ${call.method} ${call.url}`,
        code: 'HTTP_JSON',
        truncated: truncated ? `${BODY_MAX_BYTES} bytes, the most baton reads of a response` : undefined,
      });
    },
  };
}

/** The request as the http task has it, refusing what the task's schema would refuse. */
function toCall(request: HttpRequest, where: string): HttpCall {
  if (request === null || typeof request !== 'object') throw bad(where, `a request is a URL or an object with a url, not ${request === null ? 'null' : typeof request}`);
  const unknown = Object.keys(request).filter((key) => !FIELDS.has(key));
  if (unknown.length > 0) throw bad(where, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((key) => `"${key}"`).join(', ')}; a request has ${[...FIELDS].join(', ')}`);
  const url = request.url instanceof URL ? request.url.href : request.url;
  if (typeof url !== 'string' || url === '') throw bad(where, 'the request has no url');
  const method = request.method ?? 'GET';
  if (typeof method !== 'string' || !/^[A-Za-z]+$/.test(method)) throw bad(where, `method ${JSON.stringify(method)} is not an HTTP method (GET, POST, PUT...)`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (typeof value !== 'string' && typeof value !== 'number') throw bad(where, `header "${name}" is ${value === null ? 'null' : typeof value}; a header value is a string`);
    headers[name] = String(value);
  }
  const expect = request.expect_status;
  if (expect !== undefined && (!Array.isArray(expect) || !expect.every((s) => Number.isInteger(s) && s >= 100 && s <= 599))) {
    throw bad(where, 'expect_status is a list of HTTP statuses (100-599), such as [200, 404]');
  }
  return { url, method: method.toUpperCase(), headers, body: request.body, auth: request.auth, expect_status: expect };
}

function timeoutOf(request: HttpRequest, where: string): number | undefined {
  if (request.timeout === undefined) return undefined;
  try {
    return parseDuration(request.timeout, 'ms');
  } catch (err) {
    throw bad(where, `timeout ${JSON.stringify(request.timeout)} is not a duration: write '30s', '2m' or a number of milliseconds`, err);
  }
}

function bad(where: string, message: string, cause?: unknown): ExecutorError {
  return new ExecutorError('HTTP_REQUEST', `${where}: ${message}`, { retryable: false, cause });
}
