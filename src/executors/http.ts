/**
 * http: one request with Node's fetch. Outputs `{ status, headers, body }`; the body is
 * parsed JSON when the response says it is JSON (text if it does not parse), else text,
 * and at most BODY_MAX_BYTES of it is read.
 */
import type { HttpTask } from '../spec/model.js';
import { DataError, parseJson } from '../expr/safe-json.js';
import { abortedError, ExecutorError } from './errors.js';
import type { Executor, TaskIO } from './types.js';

/** Bytes of a response body read, kept in outputs and logged; the rest is discarded. */
export const BODY_MAX_BYTES = 1024 * 1024;
/** Characters of the body quoted in an HTTP_STATUS error. */
const SNIPPET_CHARS = 500;

export const http: Executor<HttpTask> = {
  async run(task, io, signal) {
    // The attempt's span goes with the request (unless the task sets its own), so the service it calls can join the trace.
    const traced = io.traceparent !== undefined && !Object.keys(task.headers).some((name) => name.toLowerCase() === 'traceparent');
    const reply = await sendHttp(traced ? { ...task, headers: { ...task.headers, traceparent: io.traceparent! } } : task, `task ${io.taskKey}`, io, signal);
    const outputs: Record<string, unknown> = {
      status: reply.status,
      headers: reply.headers,
      body: parseBody(reply.text, reply.headers['content-type'] ?? null),
    };
    if (reply.truncated) outputs.body_truncated = true;
    return { outputs };
  },
};

/** One HTTP request, as an http task or a TypeScript workflow's ctx.http describes it. */
export type HttpCall = Pick<HttpTask, 'method' | 'url' | 'headers' | 'body' | 'auth' | 'expect_status'>;

/** A response as every caller sees it: lower-cased headers and at most BODY_MAX_BYTES of body text. */
export interface HttpReply {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  text: string;
  /** Whether the body was longer than BODY_MAX_BYTES (the rest was discarded). */
  truncated: boolean;
}

export interface SendOptions {
  /** Resolve whatever the status; default false: a status expect_status (or 200-399) does not allow rejects with HTTP_STATUS. */
  anyStatus?: boolean;
  /** The URL as messages and the log show it (a webhook's without the token in its path); default the URL. */
  shownUrl?: string;
}

/**
 * The rules every HTTP request of baton follows, whoever asks: headers checked for
 * injection, a JSON body and auth header built the same way, the body read up to
 * BODY_MAX_BYTES and logged to io.stdout as it arrives, one line `GET url -> 200 (12 ms)`
 * to io.stderr, and the same errors: HTTP_REQUEST, HTTP_NETWORK, HTTP_STATUS and
 * EXEC_ABORTED. `where` names who asked in messages (`task deploy`, `ctx.http`).
 */
export async function sendHttp(
  call: HttpCall,
  where: string,
  io: Pick<TaskIO, 'stdout' | 'stderr'>,
  signal: AbortSignal,
  options: SendOptions = {},
): Promise<HttpReply> {
  const shown = options.shownUrl ?? call.url;
  if (signal.aborted) throw abortedError(signal, `${call.method} ${shown}`);
  const request = buildRequest(call, where, signal, shown);
  const what = `${request.method} ${shown}`;
  const started = performance.now();
  let response: Response;
  let body: { text: string; truncated: boolean };
  try {
    response = await fetch(request);
    body = await readBody(response, io);
  } catch (err) {
    if (signal.aborted) throw abortedError(signal, what);
    throw new ExecutorError('HTTP_NETWORK', `${what} failed: ${describeNetworkError(err)}`, { retryable: true, cause: err });
  }
  const ms = Math.round(performance.now() - started);
  io.stderr(`${what} -> ${response.status} (${ms} ms)\n`);

  if (!options.anyStatus && !statusExpected(response.status, call.expect_status)) {
    const expected = call.expect_status?.length ? call.expect_status.join(', ') : '200-399';
    const snippet = body.text.length > SNIPPET_CHARS ? `${body.text.slice(0, SNIPPET_CHARS)}...` : body.text;
    throw new ExecutorError(
      'HTTP_STATUS',
      `${what} -> ${response.status} ${response.statusText}, expected ${expected}${snippet ? `; body: ${snippet}` : ''}`,
      { retryable: response.status >= 500 || response.status === 429 || response.status === 408, details: { status: response.status } },
    );
  }
  return { status: response.status, statusText: response.statusText, headers: Object.fromEntries(response.headers), text: body.text, truncated: body.truncated };
}

function buildRequest(task: HttpCall, where: string, signal: AbortSignal, shownUrl: string): Request {
  for (const [name, value] of Object.entries(task.headers)) checkHeader(`header "${name}"`, value, where);
  if (task.auth) {
    for (const [field, value] of Object.entries(task.auth)) checkHeader(`auth.${field}`, String(value), where);
  }
  let headers: Headers;
  try {
    headers = new Headers(task.headers);
  } catch (err) {
    throw new ExecutorError('HTTP_REQUEST', `${where}: ${(err as Error).message}: a header name is a token (letters, digits, - and _)`, {
      retryable: false,
      cause: err,
    });
  }
  let body: string | undefined;
  if (typeof task.body === 'string') body = task.body;
  else if (task.body !== undefined) {
    body = JSON.stringify(task.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  if (task.auth && !headers.has('authorization')) {
    headers.set(
      'authorization',
      'bearer' in task.auth
        ? `Bearer ${task.auth.bearer}`
        : `Basic ${Buffer.from(`${task.auth.username}:${task.auth.password}`).toString('base64')}`,
    );
  }
  try {
    return new Request(task.url, { method: (task.method || 'GET').toUpperCase(), headers, body, signal });
  } catch (err) {
    throw new ExecutorError('HTTP_REQUEST', `${task.method} ${shownUrl}: cannot build the request: ${shownUrl === task.url ? (err as Error).message : 'the URL is not one'}`, {
      retryable: false,
      cause: err,
    });
  }
}

/** Reads up to BODY_MAX_BYTES, logging it to io.stdout as it arrives. */
async function readBody(response: Response, io: Pick<TaskIO, 'stdout'>): Promise<{ text: string; truncated: boolean }> {
  if (response.body === null) return { text: '', truncated: false };
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = BODY_MAX_BYTES - bytes;
    const chunk = value.byteLength > room ? value.subarray(0, room) : value;
    bytes += chunk.byteLength;
    const decoded = decoder.decode(chunk, { stream: true });
    text += decoded;
    if (decoded) io.stdout(decoded);
    if (chunk !== value) {
      await reader.cancel();
      return { text, truncated: true };
    }
  }
  const rest = decoder.decode();
  if (rest) io.stdout(rest);
  text += rest;
  if (text && !text.endsWith('\n')) io.stdout('\n');
  return { text, truncated: false };
}

function parseBody(text: string, contentType: string | null): unknown {
  if (contentType === null || !/\bjson\b/i.test(contentType)) return text;
  try {
    return parseJson(text, 'the response body');
  } catch (err) {
    // Not JSON after all: kept as text. JSON too deep to keep: the task fails (DATA_TOO_DEEP).
    if (err instanceof DataError) throw err;
    return text;
  }
}

/**
 * A line break in a header value would end the header and start another (CRLF injection);
 * a NUL byte cannot be sent at all. Values come from templates, so each is checked before
 * any request is built, and the message names the header and who asked, never the value.
 */
function checkHeader(field: string, value: string, where: string): void {
  const bad = /[\r\n]/.test(value) ? 'a line break (CR or LF), which would end the header and start another' : value.includes('\0') ? 'a NUL byte, which no header may hold' : undefined;
  if (bad === undefined) return;
  throw new ExecutorError('HTTP_REQUEST', `${field} of ${where} holds ${bad}: remove it from the value`, {
    retryable: false,
    details: { where, field },
  });
}

function statusExpected(status: number, expected: number[] | undefined): boolean {
  return expected?.length ? expected.includes(status) : status >= 200 && status <= 399;
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND...) is in its cause. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
