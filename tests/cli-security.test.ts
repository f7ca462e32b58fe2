/**
 * What someone out to break baton can put in its inputs and outputs: values that try to
 * move an HTTP request to another server, terminal control sequences, JSON nested deep
 * enough to overflow a stack, CR/LF and NUL bytes in values.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baton, BATON, batonAsync, tempDir, writeWorkflow } from './helpers.js';

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

describe('terminal escapes in names and output are shown, never acted on', () => {
  // A title change (OSC 0), a screen clear (CSI 2J), a bell, and a colour (SGR).
  const FLOW = `name: "evil\\e]0;pwned\\a\\e[2J"
tasks:
  - id: loud
    command: printf '\\033]0;pwned\\007\\033[2J\\033[31mred\\033[0m\\n'; printf '\\033]0;t\\007 boom\\n' >&2; exit 3
`;
  const home = tempDir();
  const env = { BATON_HOME: home };
  /** Raw control characters other than line breaks, tabs and the SGR colours `allowed`. */
  // eslint-disable-next-line no-control-regex -- control characters are what this test looks for
  const raw = (text: string, allowed = /(?!)/g) => text.replace(allowed, '').match(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g) ?? [];
  const SGR = new RegExp(String.raw`\x1b\[[0-9;]*m`, 'g');
  let runId: string;

  beforeAll(() => {
    const file = writeWorkflow(FLOW);
    const r = baton(['run', file], { env });
    expect(r.status).toBe(1);
    runId = /Run ([0-9A-Z]{26})/.exec(r.stdout)![1];
    // the plain progress lines, the summary table, the stderr tail
    expect(raw(r.stdout + r.stderr)).toEqual([]);
    expect(r.stdout).toContain('started: evil\\x1b]0;pwned\\x07\\x1b[2J (1 task');
    expect(r.stdout).toContain(`Run ${runId} evil\\x1b]0;pwned\\x07\\x1b[2J: failed`);
    expect(r.stdout).toContain('│ \\x1b]0;t\\x07 boom');
  });

  it('status, history and --follow show them as escapes', () => {
    for (const args of [['status', runId], ['history'], ['status', runId, '--watch']]) {
      const r = baton(args, { env });
      expect(raw(r.stdout + r.stderr), args.join(' ')).toEqual([]);
      expect(r.stdout, args.join(' ')).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J');
    }
    const followed = baton(['run', writeWorkflow(FLOW), '--follow'], { env });
    expect(raw(followed.stdout + followed.stderr, SGR)).toEqual([]);
    expect(followed.stdout).toContain('loud | \\x1b]0;pwned\\x07\\x1b[2J\x1b[31mred\x1b[0m');
  });

  it('baton logs keeps colours (SGR) and nothing else', () => {
    const r = baton(['logs', runId], { env });
    expect(raw(r.stdout + r.stderr, SGR)).toEqual([]);
    expect(r.stdout).toContain('\\x1b]0;pwned\\x07\\x1b[2J\x1b[31mred\x1b[0m');
    expect(r.stdout).toContain('loud ! \\x1b]0;t\\x07 boom');
  });

  it('the live view on a terminal neither retitles nor clears it', () => {
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BATON} run ${writeWorkflow(FLOW)}`, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', BATON_HOME: home },
    });
    expect(r.stdout).toContain('evil\\x1b]0;pwned\\x07\\x1b[2J');
    expect(r.stdout).not.toContain('\x1b]');
    expect(r.stdout).not.toContain('\x07');
    expect(r.stdout).not.toContain('\x1b[2J');
  });
});

describe('JSON nested too deeply fails the task or refuses the input; the run stays usable', () => {
  const DEPTH = 100_000;
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  let server: Listener;
  beforeAll(async () => {
    server = await listen((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(deep(DEPTH));
    });
  });
  afterAll(() => server.close());

  it('from $BATON_OUTPUT, a script task\'s stdout and an HTTP body: each task fails with DATA_TOO_DEEP; status, export and resume work', async () => {
    const dir = tempDir();
    const writer = path.join(dir, 'deep.mjs');
    // A depth from the command line; a script's stdout is read from its last few KB, so 2,000 there.
    writeFileSync(writer, "const n = Number(process.argv[2]); process.stdout.write('{\"x\":' + '['.repeat(n) + ']'.repeat(n) + '}\\n');\n");
    const file = writeWorkflow(`name: deep
tasks:
  - id: outputs
    command: '"${process.execPath}" ${writer} ${DEPTH} > "$BATON_OUTPUT"'
  - id: stdout
    type: script
    script: ${writer}
    args: ['2000']
  - id: body
    type: http
    url: ${server.url}/deep
  - id: after
    depends_on: [outputs]
    command: echo never
`);
    const home = tempDir();
    const r = await batonAsync(['run', file, '--json'], { env: { BATON_HOME: home } }).done;
    expect(r.status, r.stderr).toBe(1);
    const summary = JSON.parse(r.stdout);
    const byId = Object.fromEntries(summary.tasks.map((t: { id: string }) => [t.id, t]));
    for (const id of ['outputs', 'stdout', 'body']) {
      expect(byId[id].status, id).toBe('failed');
      expect(byId[id].error.code, id).toBe('DATA_TOO_DEEP');
    }
    expect(byId.outputs.error.message).toContain('the outputs file ($BATON_OUTPUT) holds JSON nested more than 128 levels deep');
    expect(byId.after.status).toBe('skipped');
    const env = { BATON_HOME: home };
    const status = baton(['status', summary.run_id], { env });
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/outputs +failed/);
    const exported = baton(['export', summary.run_id], { env });
    expect(exported.status, exported.stderr).toBe(0);
    const resumed = baton(['resume', summary.run_id], { env });
    expect(resumed.stderr).not.toMatch(/internal error|RangeError/);
    expect(resumed.status).toBe(2); // already finished: nothing to resume
    const retried = await batonAsync(['retry', summary.run_id, '--json'], { env }).done;
    expect(retried.stderr).not.toMatch(/internal error|RangeError/);
    expect(JSON.parse(retried.stdout).tasks.find((t: { id: string }) => t.id === 'body').error.code).toBe('DATA_TOO_DEEP');
  });

  it('--input of type json nested too deeply is refused before the run starts (exit 2)', () => {
    const file = writeWorkflow(`name: deep-input
inputs:
  j: { type: json }
tasks:
  - id: t
    command: echo ok
`);
    const r = baton(['run', file, '--input', `j=${deep(50_000)}`]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^baton: input "j" holds JSON nested more than 128 levels deep.*\[INPUT_TYPE\]$/m);
    expect(r.stderr).not.toMatch(/RangeError|internal error/);
  });
});

describe('CR/LF and NUL bytes in values get coded errors naming the field and the task', () => {
  let server: Listener;
  beforeAll(async () => {
    server = await listen();
  });
  afterAll(() => server.close());

  it('from another task\'s outputs: a header with CRLF or NUL, an environment value, a command with NUL', async () => {
    const file = writeWorkflow(`name: bad-bytes
tasks:
  - id: source
    command: |
      printf '{"crlf": "a\\\\r\\\\nX-Injected: 1", "nul": "a\\\\u0000b"}' > "$BATON_OUTPUT"
  - id: crlf-header
    depends_on: [source]
    type: http
    url: ${server.url}/crlf
    headers: { X-Value: "\${ tasks.source.outputs.crlf }" }
  - id: nul-header
    depends_on: [source]
    type: http
    url: ${server.url}/nul
    headers: { X-Value: "\${ tasks.source.outputs.nul }" }
  - id: nul-env
    depends_on: [source]
    environment: { VALUE: "\${ tasks.source.outputs.nul }" }
    command: echo "$VALUE"
  - id: nul-command
    depends_on: [source]
    command: echo \${ tasks.source.outputs.nul }
`);
    const r = await batonAsync(['run', file, '--json']).done;
    expect(r.status, r.stderr).toBe(1);
    const byId = Object.fromEntries(JSON.parse(r.stdout).tasks.map((t: { id: string }) => [t.id, t]));
    expect(byId['crlf-header'].error).toMatchObject({ code: 'HTTP_REQUEST', message: expect.stringMatching(/^header "X-Value" of task crlf-header holds a line break/) });
    expect(byId['nul-header'].error).toMatchObject({ code: 'HTTP_REQUEST', message: expect.stringMatching(/^header "X-Value" of task nul-header holds a NUL byte/) });
    expect(byId['nul-env'].error).toMatchObject({ code: 'EXEC_NUL_BYTE', message: expect.stringMatching(/^environment variable "VALUE" of task nul-env holds a NUL byte/) });
    expect(byId['nul-command'].error).toMatchObject({ code: 'EXEC_NUL_BYTE', message: expect.stringMatching(/^the command of task nul-command holds a NUL byte/) });
    expect(r.stdout).not.toContain('ERR_INVALID_ARG_VALUE');
    expect(server.seen).toEqual([]);
  });

  it('a literal header value with a line break is refused by validate', () => {
    const file = writeWorkflow(`name: literal-crlf
tasks:
  - id: call
    type: http
    url: http://127.0.0.1:9/
    headers:
      X-Value: "a\\r\\nX-Injected: 1"
`);
    const r = baton(['validate', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file}:7:16: error SPEC_INVALID_VALUE: header "X-Value" holds a line break (CR or LF), which no header value may hold`);
  });
});
