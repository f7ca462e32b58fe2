/**
 * What someone out to break baton can put in its inputs and outputs: values that try to
 * move an HTTP request to another server, terminal control sequences, JSON nested deep
 * enough to overflow a stack, CR/LF and NUL bytes in values.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baton, batonAsync, writeWorkflow } from './helpers.js';

interface Listener {
  url: string;
  port: number;
  /** Each request as `METHOD path`, with its authorization header. */
  seen: { line: string; authorization?: string }[];
  close(): Promise<void>;
}

async function listen(respond: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_, res) => res.end('ok\n')): Promise<Listener> {
  const seen: Listener['seen'] = [];
  const server = http.createServer((req, res) => {
    seen.push({ line: `${req.method} ${req.url}`, authorization: req.headers.authorization });
    respond(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** `baton run` without blocking this process, so the test's servers can answer. */
async function run(args: string[]) {
  return batonAsync(['run', ...args]).done;
}

describe('HTTP URLs: values cannot change where a request goes', () => {
  let target: Listener;
  let attacker: Listener;
  beforeAll(async () => {
    [target, attacker] = await Promise.all([listen(), listen()]);
  });
  afterAll(async () => {
    await Promise.all([target.close(), attacker.close()]);
  });

  it('a value in the host is refused by validate and by run; the other server receives nothing, not even the token', async () => {
    const file = writeWorkflow(`name: url-host
inputs:
  region: { type: string }
tasks:
  - id: status
    type: http
    url: http://\${ inputs.region }.api.example/status
    auth: { bearer: s3cret-token }
`);
    const checked = baton(['validate', file]);
    expect(checked.status).toBe(1);
    expect(checked.stdout + checked.stderr).toContain(`${file}:7:17: error SPEC_URL_HOST: \${ inputs.region } is in the host part of the URL`);
    expect(checked.stdout + checked.stderr).toContain(`url: "\${ format('http://{0}.api.example/status', inputs.region) }"`);
    const r = await run([file, '--input', `region=127.0.0.1:${attacker.port}/pwn#`]);
    expect(r.status).not.toBe(0);
    expect(attacker.seen).toEqual([]);
  });

  it('values in the path, query and fragment are percent-encoded: the request stays on its server and path', async () => {
    target.seen.length = 0;
    const file = writeWorkflow(`name: url-path
inputs:
  name: { type: string }
  q: { type: string }
  base: { type: string }
tasks:
  - id: get
    type: http
    url: ${target.url}/files/\${ inputs.name }?q=\${ inputs.q }#\${ inputs.q }
    auth: { bearer: s3cret-token }
  - id: base
    depends_on: [get]
    type: http
    url: \${ inputs.base }/base/\${ inputs.name }
`);
    expect(baton(['validate', file]).status).toBe(0);
    const name = `../../@127.0.0.1:${attacker.port}/admin`;
    const r = await run([file, '--input', `name=${name}`, '--input', 'q=a&admin=1#x', '--input', `base=${target.url}`]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(target.seen).toEqual([
      { line: `GET /files/..%2F..%2F%40127.0.0.1%3A${attacker.port}%2Fadmin?q=a%26admin%3D1%23x`, authorization: 'Bearer s3cret-token' },
      { line: `GET /base/..%2F..%2F%40127.0.0.1%3A${attacker.port}%2Fadmin`, authorization: undefined },
    ]);
    expect(attacker.seen).toEqual([]);
  });

  it('a value that makes a path segment .. fails the task with EXPR_URL, before any request', async () => {
    target.seen.length = 0;
    const file = writeWorkflow(`name: url-dots
inputs:
  name: { type: string }
tasks:
  - id: get
    type: http
    url: ${target.url}/files/\${ inputs.name }/read
`);
    const r = await run([file, '--input', 'name=..', '--json']);
    expect(r.status).toBe(1);
    const task = JSON.parse(r.stdout).tasks.find((t: { id: string }) => t.id === 'get');
    expect(task.error.code).toBe('EXPR_URL');
    expect(task.error.message).toContain("makes the path segment '..'");
    expect(target.seen).toEqual([]);
  });

  it('a URL that is one whole expression is taken as written', async () => {
    target.seen.length = 0;
    const file = writeWorkflow(`name: url-whole
inputs:
  host: { type: string }
tasks:
  - id: get
    type: http
    url: "\${ format('http://{0}/whole', inputs.host) }"
`);
    expect(baton(['validate', file]).status).toBe(0);
    const r = await run([file, '--input', `host=127.0.0.1:${target.port}`]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(target.seen.map((s) => s.line)).toEqual(['GET /whole']);
  });
});
