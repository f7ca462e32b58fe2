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
    if (signal.aborted) throw abortedError(signal, `${task.method} ${task.url}`);
    const request = buildRequest(task, io.taskKey, signal);
    const what = `${request.method} ${task.url}`;
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

    if (!statusExpected(response.status, task.expect_status)) {
      const expected = task.expect_status?.length ? task.expect_status.join(', ') : '200-399';
      const snippet = body.text.length > SNIPPET_CHARS ? `${body.text.slice(0, SNIPPET_CHARS)}...` : body.text;
      throw new ExecutorError(
        'HTTP_STATUS',
        `${what} -> ${response.status} ${response.statusText}, expected ${expected}${snippet ? `; body: ${snippet}` : ''}`,
        { retryable: response.status >= 500 || response.status === 429 || response.status === 408, details: { status: response.status } },
      );
    }

    const outputs: Record<string, unknown> = {
      status: response.status,
      headers: Object.fromEntries(response.headers),
      body: parseBody(body.text, response.headers.get('content-type')),
    };
    if (body.truncated) outputs.body_truncated = true;
    return { outputs };
  },
};

function buildRequest(task: HttpTask, taskKey: string, signal: AbortSignal): Request {
  for (const [name, value] of Object.entries(task.headers)) checkHeader(`header "${name}"`, value, taskKey);
  if (task.auth) {
    for (const [field, value] of Object.entries(task.auth)) checkHeader(`auth.${field}`, String(value), taskKey);
  }
  let headers: Headers;
  try {
    headers = new Headers(task.headers);
  } catch (err) {
    throw new ExecutorError('HTTP_REQUEST', `task ${taskKey}: ${(err as Error).message}: a header name is a token (letters, digits, - and _)`, {
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
    throw new ExecutorError('HTTP_REQUEST', `${task.method} ${task.url}: cannot build the request: ${(err as Error).message}`, {
      retryable: false,
      cause: err,
    });
  }
}

/** Reads up to BODY_MAX_BYTES, logging it to io.stdout as it arrives. */
async function readBody(response: Response, io: TaskIO): Promise<{ text: string; truncated: boolean }> {
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
 * any request is built, and the message names the header and the task, never the value.
 */
function checkHeader(field: string, value: string, taskKey: string): void {
  const bad = /[\r\n]/.test(value) ? 'a line break (CR or LF), which would end the header and start another' : value.includes('\0') ? 'a NUL byte, which no header may hold' : undefined;
  if (bad === undefined) return;
  throw new ExecutorError('HTTP_REQUEST', `${field} of task ${taskKey} holds ${bad}: remove it from the value`, {
    retryable: false,
    details: { task: taskKey, field },
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
