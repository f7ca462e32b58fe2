import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { BODY_MAX_BYTES } from '../executors/http.js';
import { rejection, routeServer, type Route } from '../executors/test-support.js';
import { makeHttp, type HttpIO, type HttpRequest } from './http.js';

/** Each path is one behaviour; /echo answers with what it was sent. */
const routes: Record<string, Route> = {
  '/echo': (req, res, body) => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('X-Request-Id', 'abc');
    res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null, type: req.headers['content-type'] ?? null, custom: req.headers['x-custom'] ?? null }));
  },
  '/text': (_req, res) => res.end('plain text'),
  '/missing': (_req, res) => {
    res.statusCode = 404;
    res.end('no such deployment: web');
  },
  '/unavailable': (_req, res) => {
    res.statusCode = 503;
    res.end('try later');
  },
  '/redirect': (_req, res) => {
    res.statusCode = 302;
    res.setHeader('location', '/text');
    res.end();
  },
  '/big': (_req, res) => res.end(`[${'1,'.repeat(BODY_MAX_BYTES)}1]`),
  '/hang': () => {}, // never answers
};

const server = routeServer(routes);
let base = '';
beforeAll(() => {
  base = server.base();
});

/** ctx.http over `io`, recording what it streams. */
function setup(extra: HttpIO = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const http = makeHttp(() => ({
    output: (stream, chunk) => (stream === 'stdout' ? out : err).push(chunk),
    ...extra,
  }));
  return { http, out, err };
}

describe('ctx.http', () => {
  it('gets a URL: status, lower-cased headers, body text and .json(), and logs the exchange', async () => {
    const { http, out, err } = setup();
    const response = await http(`${base}/echo`);
    expect(response).toMatchObject({ status: 200, statusText: 'OK', truncated: false, headers: { 'x-request-id': 'abc', 'content-type': 'application/json' } });
    expect(response.json()).toMatchObject({ method: 'GET', body: '' });
    expect(out.join('')).toBe(`${response.body}\n`);
    expect(err.join('')).toMatch(new RegExp(`^GET ${base}/echo -> 200 \\(\\d+ ms\\)\\n$`));
  });

  it('sends objects as JSON, strings as they are, headers and auth', async () => {
    const { http } = setup();
    const json = await http({ url: new URL('/echo', base), method: 'post', body: { replicas: 3 }, headers: { 'X-Custom': 'yes' }, auth: { bearer: 'tok' } });
    expect(json.json()).toEqual({ method: 'POST', body: '{"replicas":3}', auth: 'Bearer tok', type: 'application/json', custom: 'yes' });
    const raw = await http({ url: `${base}/echo`, method: 'PUT', body: 'a=1', headers: { 'Content-Type': 'text/plain' }, auth: { username: 'ops', password: 's3cret' } });
    expect(raw.json()).toMatchObject({ method: 'PUT', body: 'a=1', type: 'text/plain', auth: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` });
  });

  it('follows redirects as the http task does', async () => {
    const { http } = setup();
    expect(await http(`${base}/redirect`)).toMatchObject({ status: 200, body: 'plain text' });
  });

  it('rejects a status outside 200-399 with the http task\'s HTTP_STATUS, retryable for 5xx only', async () => {
    const { http } = setup();
    const notFound = await rejection(http({ url: `${base}/missing`, method: 'DELETE' }));
    expect(notFound).toMatchObject({ code: 'HTTP_STATUS', retryable: false });
    expect(notFound.message).toBe(`DELETE ${base}/missing -> 404 Not Found, expected 200-399; body: no such deployment: web`);
    await expect(http(`${base}/unavailable`)).rejects.toMatchObject({ code: 'HTTP_STATUS', retryable: true });
  });

  it('resolves the statuses expect_status names, and any status with nothrow', async () => {
    const { http } = setup();
    await expect(http({ url: `${base}/missing`, expect_status: [404] })).resolves.toMatchObject({ status: 404, body: 'no such deployment: web' });
    await expect(http({ url: `${base}/text`, expect_status: [201] })).rejects.toMatchObject({ code: 'HTTP_STATUS', message: expect.stringContaining('-> 200 OK, expected 201') });
    await expect(http({ url: `${base}/unavailable`, nothrow: true })).resolves.toMatchObject({ status: 503, body: 'try later' });
  });

  it('reads at most BODY_MAX_BYTES, says truncated, and refuses .json() of the cut body', async () => {
    const { http } = setup();
    const response = await http(`${base}/big`);
    expect(response.body.length).toBe(BODY_MAX_BYTES);
    expect(response.truncated).toBe(true);
    expect(() => response.json()).toThrow(expect.objectContaining({ code: 'HTTP_JSON', message: expect.stringContaining(`was cut at ${BODY_MAX_BYTES} bytes`) }));
  });

  it('throws HTTP_JSON from .json() of a body that is not JSON', async () => {
    const { http } = setup();
    const response = await http(`${base}/text`);
    expect(() => response.json()).toThrow(expect.objectContaining({ code: 'HTTP_JSON', message: expect.stringMatching(/^the response body of GET .*\/text is not JSON: /) }));
  });

  it('stops on abort with EXEC_ABORTED carrying the reason', async () => {
    const controller = new AbortController();
    const { http } = setup({ signal: controller.signal });
    const reason = new Error('step cancelled');
    const pending = rejection(http(`${base}/hang`));
    setTimeout(() => controller.abort(reason), 50);
    const err = await pending;
    expect(err).toMatchObject({ code: 'EXEC_ABORTED' });
    expect(err.cause).toBe(reason);
  });

  it('gives up after its own timeout with a retryable HTTP_NETWORK', async () => {
    const { http } = setup();
    const err = await rejection(http({ url: `${base}/hang`, timeout: '100ms' }));
    expect(err).toMatchObject({ code: 'HTTP_NETWORK', retryable: true });
    expect(err.message).toBe(`GET ${base}/hang failed: no complete response within 100ms (its timeout)`);
  });

  it('fails with retryable HTTP_NETWORK when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { http } = setup();
    await expect(http(`http://127.0.0.1:${port}/x`)).rejects.toMatchObject({ code: 'HTTP_NETWORK', retryable: true, message: expect.stringContaining('ECONNREFUSED') });
  });

  it('refuses a header that would inject another, naming who sent it, and never sends it', async () => {
    const { http, err } = setup({ where: 'step notify' });
    const thrown = await rejection(http({ url: `${base}/echo`, headers: { 'X-Value': 'a\r\nX-Admin: 1' } }));
    expect(thrown).toMatchObject({ code: 'HTTP_REQUEST', retryable: false, message: 'header "X-Value" of step notify holds a line break (CR or LF), which would end the header and start another: remove it from the value' });
    expect(err).toEqual([]);
  });

  it('refuses a malformed request with HTTP_REQUEST: unknown fields, no url, bad method, statuses or timeout', async () => {
    const { http } = setup();
    const cases: [unknown, RegExp][] = [
      [{ url: `${base}/echo`, expectStatus: [404] }, /^ctx\.http: unknown field "expectStatus"; a request has url, method/],
      [{ method: 'GET' }, /the request has no url/],
      [{ url: `${base}/echo`, method: 'GET /x' }, /is not an HTTP method/],
      [{ url: `${base}/echo`, expect_status: ['404'] }, /expect_status is a list of HTTP statuses/],
      [{ url: `${base}/echo`, timeout: 'soon' }, /timeout "soon" is not a duration/],
      [{ url: `${base}/echo`, headers: { 'X-Null': null } }, /header "X-Null" is null/],
      [{ url: 'not a url' }, /cannot build the request/],
      [null, /a request is a URL or an object/],
    ];
    for (const [request, message] of cases) {
      await expect(http(request as HttpRequest)).rejects.toMatchObject({ code: 'HTTP_REQUEST', retryable: false, message: expect.stringMatching(message) });
    }
  });
});
