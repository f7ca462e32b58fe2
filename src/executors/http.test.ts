import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HttpTask } from '../spec/model.js';
import { BODY_MAX_BYTES, http } from './http.js';
import { rejection, routeServer, testIO, type Route } from './test-support.js';
import { taskDefaults } from '../spec/task-defaults.js';

/** Each path is one behaviour; every request is echoed back as `seen`. */
const routes: Record<string, Route> = {
  '/json': (req, res, body) => {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('X-Request-Id', 'abc');
    res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null, type: req.headers['content-type'] ?? null }));
  },
  '/text': (_req, res) => res.end('plain text'),
  '/bad-json': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{oops');
  },
  '/created': (_req, res) => {
    res.statusCode = 201;
    res.end('made');
  },
  '/missing': (_req, res) => {
    res.statusCode = 404;
    res.end('no such deployment: web');
  },
  '/unavailable': (_req, res) => {
    res.statusCode = 503;
    res.end('try later');
  },
  '/busy': (_req, res) => {
    res.statusCode = 429;
    res.end();
  },
  '/big': (_req, res) => res.end(Buffer.alloc(BODY_MAX_BYTES + 1000, 'z')),
  '/hang': () => {}, // never answers
};

const server = routeServer(routes);
let base = '';
beforeAll(() => {
  base = server.base();
});

function task(path: string, extra: Partial<HttpTask> = {}): HttpTask {
  return {
    id: 'h',
    explicit_id: true,
    type: 'http',
    method: 'GET',
    url: base + path,
    headers: {},
    ...taskDefaults(),
    ...extra,
  };
}

const never = new AbortController().signal;

describe('http executor', () => {
  it('returns status, lower-cased headers and the parsed JSON body, and logs the exchange', async () => {
    const io = testIO();
    const result = await http.run(task('/json'), io, never);
    expect(result.outputs).toMatchObject({
      status: 200,
      headers: { 'x-request-id': 'abc', 'content-type': 'application/json; charset=utf-8' },
      body: { method: 'GET', body: '', auth: null },
    });
    expect(io.err.join('')).toMatch(new RegExp(`^GET ${base}/json -> 200 \\(\\d+ ms\\)\\n$`));
    expect(io.out.join('')).toContain('"method":"GET"');
  });

  it('sends objects as JSON and strings as they are', async () => {
    const json = await http.run(task('/json', { method: 'post', body: { replicas: 3 } }), testIO(), never);
    expect(json.outputs.body).toEqual({ method: 'POST', body: '{"replicas":3}', auth: null, type: 'application/json' });
    const raw = await http.run(task('/json', { method: 'PUT', body: 'a=1', headers: { 'Content-Type': 'text/plain' } }), testIO(), never);
    expect(raw.outputs.body).toMatchObject({ method: 'PUT', body: 'a=1', type: 'text/plain' });
  });

  it('keeps text bodies as text, and JSON that does not parse too', async () => {
    expect((await http.run(task('/text'), testIO(), never)).outputs.body).toBe('plain text');
    expect((await http.run(task('/bad-json'), testIO(), never)).outputs.body).toBe('{oops');
  });

  it('sends basic and bearer auth', async () => {
    const basic = await http.run(task('/json', { auth: { username: 'ops', password: 's3cret' } }), testIO(), never);
    expect((basic.outputs.body as { auth: string }).auth).toBe(`Basic ${Buffer.from('ops:s3cret').toString('base64')}`);
    const bearer = await http.run(task('/json', { auth: { bearer: 'tok' } }), testIO(), never);
    expect((bearer.outputs.body as { auth: string }).auth).toBe('Bearer tok');
  });

  it('fails with HTTP_STATUS naming method, url, status and body; retryable only for 5xx and 429', async () => {
    const notFound = await rejection(http.run(task('/missing', { method: 'DELETE' }), testIO(), never));
    expect(notFound).toMatchObject({ code: 'HTTP_STATUS', retryable: false });
    expect(notFound.message).toBe(`DELETE ${base}/missing -> 404 Not Found, expected 200-399; body: no such deployment: web`);
    await expect(http.run(task('/unavailable'), testIO(), never)).rejects.toMatchObject({ code: 'HTTP_STATUS', retryable: true });
    await expect(http.run(task('/busy'), testIO(), never)).rejects.toMatchObject({ code: 'HTTP_STATUS', retryable: true });
  });

  it('checks expect_status when given', async () => {
    await expect(http.run(task('/missing', { expect_status: [404] }), testIO(), never)).resolves.toMatchObject({
      outputs: { status: 404, body: 'no such deployment: web' },
    });
    const err = await rejection(http.run(task('/created', { expect_status: [200] }), testIO(), never));
    expect(err.message).toContain('-> 201 Created, expected 200');
  });

  it('reads at most BODY_MAX_BYTES of a body', async () => {
    const result = await http.run(task('/big'), testIO(), never);
    expect((result.outputs.body as string).length).toBe(BODY_MAX_BYTES);
    expect(result.outputs.body_truncated).toBe(true);
  });

  it('stops on abort with EXEC_ABORTED carrying the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('timed out after 100ms');
    setTimeout(() => controller.abort(reason), 100);
    const err = await rejection(http.run(task('/hang'), testIO(), controller.signal));
    expect(err).toMatchObject({ code: 'EXEC_ABORTED' });
    expect(err.cause).toBe(reason);
  });

  it('fails with retryable HTTP_NETWORK when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await rejection(http.run(task('', { url: `http://127.0.0.1:${port}/x` }), testIO(), never));
    expect(err).toMatchObject({ code: 'HTTP_NETWORK', retryable: true });
    expect(err.message).toContain(`GET http://127.0.0.1:${port}/x failed: `);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('fails with HTTP_REQUEST, not retryable, for a request that cannot be built', async () => {
    await expect(http.run(task('', { url: 'not a url' }), testIO(), never)).rejects.toMatchObject({ code: 'HTTP_REQUEST', retryable: false });
    await expect(http.run(task('/json', { body: 'x' }), testIO(), never)).rejects.toMatchObject({ code: 'HTTP_REQUEST' });
  });
});
