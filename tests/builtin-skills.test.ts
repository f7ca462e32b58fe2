/**
 * baton's built-in skills (builtin-skills/), run as users run them: through the CLI, with
 * real processes, a real HTTP server, real TCP ports, a real git repository and real log
 * files. Kubernetes is the exception: there is no cluster here, so a fake kubectl
 * (tests/fixtures/fake-kubectl) records the calls the skills make and answers from canned
 * data.
 */
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSkillFile } from '../src/skills/skill-file.js';
import { ROOT, baton, batonAsync, tempDir, until } from './helpers.js';

const SKILLS = path.join(ROOT, 'builtin-skills');
const NAMES = ['find-errors', 'git-changed-files', 'http-health-check', 'k8s-crashloop-restart', 'k8s-rollout-restart', 'k8s-rollout-undo', 'notify-webhook', 'wait-for-port'];
const FAKE_KUBECTL = path.join(ROOT, 'tests', 'fixtures', 'fake-kubectl');

type Inputs = Record<string, string | number | boolean | object>;
interface RunJson {
  run_id: string;
  status: string;
  result?: Record<string, unknown>;
  tasks: Array<{ exit_code?: number; outputs?: Record<string, unknown>; error?: { stderr_tail?: string } }>;
}

/** `baton skill run NAME --with key=value...`: a built-in skill, found wherever baton runs. */
function skillArgs(name: string, inputs: Inputs): string[] {
  const pairs = Object.entries(inputs).flatMap(([key, value]) => ['--with', `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`]);
  return ['skill', 'run', name, ...pairs];
}

/** A folder that is no project of its own: what a built-in skill is run from unless a test says otherwise. */
const ELSEWHERE = tempDir('baton-builtin-cwd-');

/** Runs a skill and reads its --json summary; not spawnSync, so servers in this process can answer. */
async function runSkill(name: string, inputs: Inputs, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const done = await batonAsync([...skillArgs(name, inputs), '--store', 'memory', '--json'], { cwd: ELSEWHERE, ...options }).done;
  const json = JSON.parse(done.stdout) as RunJson;
  return { exit: done.status, json, result: json.result ?? {}, stderr: json.tasks[0]?.error?.stderr_tail ?? '', taskExit: json.tasks[0]?.exit_code };
}

describe('the built-in skills', () => {
  it('pass baton skills validate with no errors and no warnings', () => {
    const r = baton(['skills', 'validate', 'builtin-skills']);
    expect(r.stdout).toBe(`${NAMES.length} skills: valid\n`);
    const json = JSON.parse(baton(['skills', 'validate', 'builtin-skills', '--json']).stdout);
    expect(json.checked.map((dir: string) => path.basename(dir))).toEqual(NAMES);
    expect(json.diagnostics).toEqual([]);
    expect(readdirSync(SKILLS).sort()).toEqual(NAMES);
  });

  it('each is MIT-licensed, tagged and documented, runs a workflow that validates and declares described inputs and outputs; shared helpers are identical copies', () => {
    const lib = readFileSync(path.join(SKILLS, 'http-health-check', 'scripts', 'lib.mjs'), 'utf8');
    const kubectl = readFileSync(path.join(SKILLS, 'k8s-rollout-restart', 'scripts', 'kubectl.mjs'), 'utf8');
    for (const name of NAMES) {
      const dir = path.join(SKILLS, name);
      const { skill } = parseSkillFile(path.join(dir, 'SKILL.md'), readFileSync(path.join(dir, 'SKILL.md'), 'utf8'), name, dir);
      expect(skill, name).toBeDefined();
      expect([skill!.license, skill!.entry, skill!.tags.length > 3], name).toEqual(['MIT', 'workflow.yaml', true]);
      expect(skill!.description, name).toMatch(/\. Use (to|when|after|in|before)/);
      for (const shown of ['uses: ' + name, `ctx.skill('${name}'`, `baton skill run ${name} --with`, '## Inputs', '## Outputs', '## Errors']) expect(skill!.body, name).toContain(shown);
      const flow = parse(readFileSync(path.join(dir, 'workflow.yaml'), 'utf8'));
      expect(Object.keys(flow.outputs ?? {}).length, name).toBeGreaterThan(0);
      for (const [input, spec] of Object.entries<{ type: string; description: string }>(flow.inputs)) {
        expect([input, typeof spec.type, typeof spec.description], name).toEqual([input, 'string', 'string']);
        expect(skill!.body, `${name} documents ${input}`).toContain(`| \`${input}\` |`);
        expect(flow.tasks[0].environment[`INPUT_${input.toUpperCase()}`], `${name} passes ${input} in the environment`).toBe(`\${ inputs.${input} }`);
      }
      expect(flow.tasks[0].command, name).not.toContain('inputs.');
      expect(readFileSync(path.join(dir, 'scripts', 'lib.mjs'), 'utf8'), `${name}/scripts/lib.mjs`).toBe(lib);
      if (name.startsWith('k8s-')) expect(readFileSync(path.join(dir, 'scripts', 'kubectl.mjs'), 'utf8'), `${name}/scripts/kubectl.mjs`).toBe(kubectl);
    }
    const files = NAMES.map((name) => path.join('builtin-skills', name, 'workflow.yaml'));
    expect(baton(['validate', ...files]).stdout).toBe(files.map((file) => `${file}: valid\n`).join(''));
    // The YAML example of each SKILL.md validates (skill names and inputs included) in any project.
    const project = tempDir('baton-builtin-examples-');
    for (const name of NAMES) {
      const example = /```yaml\n([\s\S]*?)```/.exec(readFileSync(path.join(SKILLS, name, 'SKILL.md'), 'utf8'))![1];
      writeFileSync(path.join(project, `${name}.yaml`), `name: ${name}-example\n${example}`);
      expect(baton(['validate', `${name}.yaml`], { cwd: project }).stdout, name).toBe(`${name}.yaml: valid\n`);
    }
    // find-errors' script falls back to the same pattern the workflow declares as the default.
    const script = readFileSync(path.join(SKILLS, 'find-errors', 'scripts', 'find-errors.mjs'), 'utf8');
    const declared = parse(readFileSync(path.join(SKILLS, 'find-errors', 'workflow.yaml'), 'utf8')).inputs.pattern.default;
    expect(script).toContain('const DEFAULT_PATTERN = String.raw`' + declared + '`;');
  });
});

describe('http-health-check', () => {
  const seen: string[] = [];
  let base = '';
  let flaky = 0;
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/flaky') res.statusCode = ++flaky < 3 ? 503 : 200;
    else if (req.url === '/down') res.statusCode = 503;
    else if (req.url === '/moved') res.writeHead(301, { location: '/ok' });
    else if (req.url === '/private') res.statusCode = req.headers.authorization === `Basic ${Buffer.from('ops:pa55').toString('base64')}` ? 200 : 401;
    res.end('body');
  });
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => ((base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`), resolve()))));
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('a healthy URL: status, latency, healthy; a flaky one is tried again until it answers', async () => {
    const ok = await runSkill('http-health-check', { url: `${base}/ok` });
    expect(ok.json.status).toBe('succeeded');
    expect(ok.result).toMatchObject({ healthy: true, status: 200, attempts: 1, error: '' });
    expect(ok.result.latency_ms).toBeTypeOf('number');
    const retried = await runSkill('http-health-check', { url: `${base}/flaky`, attempts: 5, interval: '0s' });
    expect(retried.result).toMatchObject({ healthy: true, status: 200, attempts: 3 });
    expect(seen.filter((r) => r === 'GET /flaky')).toHaveLength(3);
    const redirect = await runSkill('http-health-check', { url: `${base}/moved`, expect_status: 301, follow_redirects: false, method: 'HEAD' });
    expect(redirect.result).toMatchObject({ healthy: true, status: 301 });
    // Credentials in the URL are sent as Basic auth, and masked in what the run records.
    const authed = await runSkill('http-health-check', { url: `${base.replace('//', '//ops:pa55@')}/private` });
    expect(authed.result).toMatchObject({ healthy: true, status: 200 });
    expect(authed.json.tasks[0].outputs!.url).toBe(`${base.replace('//', '//ops:***@')}/private`);
  });

  it('an unhealthy URL fails the skill naming the URL and the last status, or gives healthy=false when not required', async () => {
    const down = await runSkill('http-health-check', { url: `${base}/down`, attempts: 2, interval: '0s' });
    expect([down.exit, down.json.status]).toEqual([1, 'failed']);
    expect(down.stderr).toContain(`http-health-check: ${base}/down is not healthy after 2 attempts: answered 503, expected 200`);
    expect(down.stderr).toMatch(/require_healthy: false .*\[UNHEALTHY\]$/);
    const told = await runSkill('http-health-check', { url: `${base}/down`, attempts: 1, require_healthy: false });
    expect([told.exit, told.result.healthy, told.result.status, told.result.error]).toEqual([0, false, 503, 'answered 503, expected 200']);
    const closed = await freePort();
    const refused = await runSkill('http-health-check', { url: `http://127.0.0.1:${closed}/`, attempts: 1, require_healthy: false });
    expect(refused.result).toMatchObject({ healthy: false, status: 0 });
    expect(refused.result.error).toMatch(/^request failed: .*ECONNREFUSED/);
    const bad = await runSkill('http-health-check', { url: 'shop.example.com/healthz' });
    expect([bad.taskExit, bad.stderr]).toEqual([2, 'http-health-check: input url: "shop.example.com/healthz" is not a URL: write it whole, e.g. https://example.com/healthz [BAD_INPUT]']);
  });
});

describe.concurrent('find-errors', () => {
  const SCRIPT = path.join(SKILLS, 'find-errors', 'scripts', 'find-errors.mjs');

  it('groups error lines by exception name or normalised message, with first and last occurrence, across a glob (.gz too)', async () => {
    const dir = tempDir('baton-find-errors-');
    mkdirSync(path.join(dir, 'logs'));
    writeFileSync(
      path.join(dir, 'logs', 'a.log'),
      [
        '2026-11-22T14:00:01.000Z INFO  api      request ok path=/v1/orders/1',
        '2026-11-22T14:00:02.000Z ERROR db-proxy connection timeout after 5000ms host=10.0.0.7:5432',
        '2026-11-22T14:00:03.000Z ERROR api      unhandled exception TypeError: cannot read properties of undefined (reading \'email\')',
        '2026-11-22T14:00:04.000Z ERROR db-proxy connection timeout after 3000ms host=10.0.0.9:5432',
        '{"ts":"2026-11-22T14:00:05Z","level":"error","msg":"payment 7c9e6679-7425-40de-944b-e07cc4f2a1b2 declined for \'bob\'"}',
        'Nov 22 14:00:06 web1 app[42]: FATAL out of memory at 0x7ffde4a1',
        '2026-11-22T14:00:07.000Z WARN  api      slow request',
      ].join('\n') + '\n',
    );
    writeFileSync(
      path.join(dir, 'logs', 'b.log.gz'),
      gzipSync('2026-11-22T15:00:00.000Z ERROR db-proxy connection timeout after 100ms host=10.0.0.1:5432\r\n{"ts":"2026-11-22T15:00:01Z","level":"error","msg":"payment 0f8fad5b-d9cb-469f-a165-70867728950e declined for \'eve\'"}\n'),
    );
    writeFileSync(path.join(dir, 'logs', 'notes.txt'), 'ERROR not a log\n');
    const run = await runSkill('find-errors', { path: 'logs/*.log*' }, { cwd: dir });
    expect(run.json.status).toBe('succeeded');
    const a = 'logs/a.log';
    const b = 'logs/b.log.gz';
    expect(run.result).toEqual({
      total: 7,
      distinct: 4,
      other: 0,
      truncated: false,
      files: 2,
      lines: 9,
      groups: [
        {
          type: 'db-proxy connection timeout after <n>ms host=<ip>',
          count: 3,
          first: { file: a, line: 2, at: '2026-11-22T14:00:02.000Z' },
          last: { file: b, line: 1, at: '2026-11-22T15:00:00.000Z' },
          sample: '2026-11-22T14:00:02.000Z ERROR db-proxy connection timeout after 5000ms host=10.0.0.7:5432',
        },
        expect.objectContaining({ type: 'payment <uuid> declined for <str>', count: 2, first: { file: a, line: 5, at: '2026-11-22T14:00:05Z' }, last: { file: b, line: 2, at: '2026-11-22T15:00:01Z' } }),
        expect.objectContaining({ type: 'TypeError', count: 1, first: { file: a, line: 3, at: '2026-11-22T14:00:03.000Z' } }),
        expect.objectContaining({ type: 'out of memory at <hex>', count: 1, first: { file: a, line: 6, at: 'Nov 22 14:00:06' } }),
      ],
    });
    // Past max_groups, new types are counted in one group; a relative glob is read from the current folder.
    const capped = spawnSync(process.execPath, [SCRIPT], { cwd: dir, env: { ...process.env, BATON_OUTPUT: '', INPUT_PATH: 'logs/a.log', INPUT_MAX_GROUPS: '2', INPUT_TOP: '2' }, encoding: 'utf8' });
    const out = JSON.parse(capped.stdout);
    expect([out.total, out.distinct, out.other, out.truncated, out.groups.map((g: { type: string; count: number }) => `${g.count} ${g.type}`)]).toEqual([
      5, 3, 2, true, ['2 db-proxy connection timeout after <n>ms host=<ip>', '2 (other)'],
    ]);
    const none = await runSkill('find-errors', { path: 'logs/*.json' }, { cwd: dir });
    expect([none.taskExit, none.stderr]).toEqual([2, `find-errors: no file matches "logs/*.json" in ${dir}: give a file or a glob (logs/*.log, /var/log/app/**/*.log.gz) relative to the folder the skill runs in [NO_FILES]`]);
    const badPattern = await runSkill('find-errors', { path: path.join(dir, a), pattern: 'ERROR(' });
    expect(badPattern.stderr).toMatch(/^find-errors: input pattern is not a valid regular expression: .* \[BAD_INPUT\]$/);
  });

  it('streams a ~200 MB log (one line of it 40 MB long) in a 48 MB heap and counts exactly', () => {
    const dir = tempDir('baton-find-errors-big-');
    const file = path.join(dir, 'big.log');
    const block: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 100 === 7) block.push(`2026-11-22T14:00:00.000Z ERROR api upstream returned 502 path=/v1/checkout id=${i}`);
      else if (i % 250 === 3) block.push(`2026-11-22T14:00:00.000Z ERROR worker java.net.SocketTimeoutException: read timed out after ${i}ms`);
      else block.push(`2026-11-22T14:00:00.000Z INFO  api request completed path=/v1/orders/${i} status=200 ms=${i % 97} and some padding`);
    }
    const chunk = Buffer.from(block.join('\n') + '\n');
    const fd = openSync(file, 'w');
    const blocks = Math.ceil((80 * 1024 * 1024) / chunk.length);
    for (let i = 0; i < blocks; i++) writeSync(fd, chunk);
    // One line of 40 MB: read whole (as readline does), it alone would nearly fill the heap.
    writeSync(fd, 'ERROR giant line ' + 'x'.repeat(40 * 1024 * 1024) + '\n');
    for (let i = 0; i < blocks; i++) writeSync(fd, chunk);
    closeSync(fd);
    const output = path.join(dir, 'outputs.json');
    const r = spawnSync(process.execPath, ['--max-old-space-size=48', SCRIPT], { env: { ...process.env, BATON_OUTPUT: output, INPUT_PATH: file }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(readFileSync(output, 'utf8'));
    const lines = 2 * blocks * 1000 + 1;
    expect([out.lines, out.total, out.distinct]).toEqual([lines, 2 * blocks * 14 + 1, 3]);
    expect(out.groups.map((g: { type: string; count: number }) => [g.type, g.count])).toEqual([
      ['api upstream returned <n> path=/v<n>/checkout id=<n>', 2 * blocks * 10],
      ['java.net.SocketTimeoutException', 2 * blocks * 4],
      ['giant line ' + 'x'.repeat(189), 1],
    ]);
    expect(out.groups[0].first).toEqual({ file, line: 8, at: '2026-11-22T14:00:00.000Z' });
    expect(out.groups[0].last.line).toBe(lines - 1000 + 908);
    expect(out.groups[2].first.line).toBe(blocks * 1000 + 1);
  }, 60_000);
});

describe.concurrent('Kubernetes skills, against a fake kubectl', () => {
  /** Runs a k8s skill with the fake kubectl first on PATH; returns its run and the kubectl calls made. */
  async function withFakeKubectl(name: string, inputs: Inputs, env: NodeJS.ProcessEnv = {}) {
    const log = path.join(tempDir('baton-kubectl-'), 'calls.jsonl');
    writeFileSync(log, '');
    const run = await runSkill(name, inputs, { env: { PATH: `${FAKE_KUBECTL}${path.delimiter}${process.env.PATH}`, FAKE_KUBECTL_LOG: log, ...env } });
    const calls = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as string[]);
    return { ...run, calls };
  }

  it('k8s-crashloop-restart deletes the crash-looping pods a controller owns, and only lists them with dry_run', async () => {
    const r = await withFakeKubectl('k8s-crashloop-restart', { namespace: 'shop' });
    expect(r.calls).toEqual([
      ['get', 'pods', '-n', 'shop', '-o', 'json'],
      ['delete', 'pod', 'web-7d9f-abcde', 'worker-5c4b-klmno', '-n', 'shop', '--ignore-not-found'],
    ]);
    expect(r.result).toEqual({
      restarted: ['web-7d9f-abcde', 'worker-5c4b-klmno'],
      count: 2,
      skipped: [{ pod: 'debug-shell', reason: 'not deleted: no controller owns it, so it would not come back' }],
      dry_run: false,
    });
    const dry = await withFakeKubectl('k8s-crashloop-restart', { namespace: 'shop', selector: 'app=web', dry_run: true, context: 'prod-eu' });
    expect(dry.calls).toEqual([['--context=prod-eu', 'get', 'pods', '-n', 'shop', '-l', 'app=web', '-o', 'json']]);
    expect(dry.result).toMatchObject({ restarted: ['web-7d9f-abcde'], count: 1, dry_run: true });
    const quiet = await withFakeKubectl('k8s-crashloop-restart', { namespace: 'empty' });
    expect([quiet.calls.length, quiet.result.count]).toEqual([1, 0]);
  });

  it('k8s-rollout-restart and k8s-rollout-undo: the rollout, then its status with the timeout; failures in kubectl\'s words', async () => {
    const restart = await withFakeKubectl('k8s-rollout-restart', { deployment: 'web', namespace: 'shop', timeout: '90s' });
    expect(restart.calls).toEqual([
      ['rollout', 'restart', 'deployment/web', '-n', 'shop'],
      ['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=90s'],
    ]);
    expect(restart.result).toMatchObject({ deployment: 'web', namespace: 'shop', rolled_out: true, message: 'deployment.apps/web restarted' });
    expect(Date.parse(String(restart.result.restarted_at))).not.toBeNaN();
    const noWait = await withFakeKubectl('k8s-rollout-restart', { deployment: 'web', wait: false });
    expect(noWait.calls).toEqual([['rollout', 'restart', 'deployment/web', '-n', 'default']]);
    const missing = await withFakeKubectl('k8s-rollout-restart', { deployment: 'api' });
    expect(missing.stderr).toMatch(/^k8s-rollout-restart: kubectl rollout restart deployment\/api -n default failed \(exit 1\): Error from server \(NotFound\): deployments.apps "api" not found; .* \[KUBECTL_FAILED\]$/);

    const undo = await withFakeKubectl('k8s-rollout-undo', { deployment: 'web', namespace: 'shop', to_revision: 3, timeout: 120 });
    expect(undo.calls).toEqual([
      ['rollout', 'undo', 'deployment/web', '-n', 'shop', '--to-revision=3'],
      ['rollout', 'status', 'deployment/web', '-n', 'shop', '--timeout=120s'],
    ]);
    expect(undo.result).toMatchObject({ deployment: 'web', to_revision: 3, rolled_out: true, message: 'deployment.apps/web rolled back' });
    const stuck = await withFakeKubectl('k8s-rollout-undo', { deployment: 'web' }, { FAKE_KUBECTL_FAIL: 'rollout status' });
    expect([stuck.exit, stuck.calls.length]).toEqual([1, 2]);
    expect(stuck.stderr).toContain('timed out waiting for the condition; the deployment was rolled back, but its pods were not ready in time');
  });

  it('names are checked before kubectl runs (no flag or shell text gets through); a missing kubectl is said clearly, exit 2', async () => {
    const injected = await withFakeKubectl('k8s-rollout-undo', { deployment: 'web; rm -rf /', namespace: '--all-namespaces' });
    expect([injected.taskExit, injected.calls]).toEqual([2, []]);
    expect(injected.stderr).toContain('input deployment: "web; rm -rf /" is not a Kubernetes name');
    // A PATH with node and sh only: no kubectl (this machine may have a real one in /usr/bin).
    const bin = tempDir('baton-no-kubectl-');
    symlinkSync(process.execPath, path.join(bin, 'node'));
    symlinkSync(spawnSync('sh', ['-c', 'command -v sh'], { encoding: 'utf8' }).stdout.trim(), path.join(bin, 'sh'));
    const none = await runSkill('k8s-crashloop-restart', {}, { env: { PATH: bin } });
    expect([none.exit, none.taskExit, none.stderr]).toEqual([
      1,
      2,
      'k8s-crashloop-restart: kubectl is not on PATH: install kubectl and point it at the cluster (KUBECONFIG), or set KUBECTL to the kubectl to use [TOOL_MISSING]',
    ]);
  });
});

describe('notify-webhook', () => {
  const received: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];
  let base = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      res.statusCode = req.url === '/T000/refuse' ? 403 : 200;
      res.end(req.url === '/T000/refuse' ? 'invalid_token' : 'ok');
    });
  });
  beforeAll(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => ((base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`), resolve()))));
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('posts {"text": message} signed with HMAC-SHA256, or a JSON payload as is', async () => {
    const sent = await runSkill('notify-webhook', { url: `${base}/T000/hook`, message: 'deployed "1.4" to shop', secret: 'sesame' });
    expect([sent.json.status, sent.result.status, sent.result.response]).toEqual(['succeeded', 200, 'ok']);
    const first = received.at(-1)!;
    expect(first.body).toBe('{"text":"deployed \\"1.4\\" to shop"}');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['x-baton-signature']).toBe(`sha256=${createHmac('sha256', 'sesame').update(first.body).digest('hex')}`);
    expect(first.headers['idempotency-key']).toBe(`${sent.json.run_id}/notify`);

    await runSkill('notify-webhook', { url: `${base}/T000/hook`, payload: { event: 'deploy', ok: true, hosts: ['a', 'b'] } }, { env: { WEBHOOK_SECRET: 'from-env' } });
    const second = received.at(-1)!;
    expect(JSON.parse(second.body)).toEqual({ event: 'deploy', ok: true, hosts: ['a', 'b'] });
    expect(second.headers['x-baton-signature']).toBe(`sha256=${createHmac('sha256', 'from-env').update(second.body).digest('hex')}`);
  });

  it('a non-2xx answer fails with the status, showing the URL\'s origin only; neither message nor payload is bad input', async () => {
    const refused = await runSkill('notify-webhook', { url: `${base}/T000/refuse`, message: 'hi' });
    expect([refused.exit, refused.stderr]).toEqual([1, `notify-webhook: ${base}/… answered 403 Forbidden (body: invalid_token); the notification was not accepted [HTTP_STATUS]`]);
    const empty = await runSkill('notify-webhook', { url: `${base}/T000/hook` });
    expect([empty.taskExit, empty.stderr]).toEqual([2, 'notify-webhook: give message (sent as {"text": message}) or payload (a JSON body sent as it is) [BAD_INPUT]']);
  });
});

describe('git-changed-files', () => {
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  const commit = (repo: string, files: Record<string, string | null>, message: string) => {
    for (const [file, text] of Object.entries(files)) {
      if (text === null) git(repo, 'rm', '-q', file);
      else {
        mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
        writeFileSync(path.join(repo, file), text);
        git(repo, 'add', file);
      }
    }
    git(repo, 'commit', '-q', '-m', message);
  };

  it('lists what changed on head since it forked from base, filtered by globs and status; clear errors for a missing revision or repository', async () => {
    const repo = tempDir('baton-git-');
    git(repo, 'init', '-q', '-b', 'main');
    commit(repo, { 'README.md': 'v1', 'src/app/main.ts': 'v1', 'docs/guide.md': 'v1' }, 'first');
    expect((await runSkill('git-changed-files', {}, { cwd: repo })).stderr).toMatch(/^git-changed-files: HEAD~1\.\.\.HEAD cannot be compared in \. .*a repository with one commit has no HEAD~1.*\[GIT_FAILED\]$/);
    git(repo, 'checkout', '-q', '-b', 'feature');
    commit(repo, { 'src/app/main.ts': 'v2', 'src/lib/new file.ts': 'v1', 'README.md': null }, 'feature');
    commit(repo, { 'docs/guide.md': 'v2' }, 'docs');
    git(repo, 'checkout', '-q', 'main');
    commit(repo, { 'CHANGELOG.md': 'later on main' }, 'main moves on');

    git(repo, 'checkout', '-q', 'feature');
    const last = await runSkill('git-changed-files', {}, { cwd: repo });
    expect(last.result).toEqual({ files: ['docs/guide.md'], count: 1, truncated: false });
    git(repo, 'checkout', '-q', 'main');
    // README.md became src/lib/new file.ts (same content): a rename is listed under both names.
    const branch = await runSkill('git-changed-files', { repo, base: 'main', head: 'feature' });
    expect(branch.result.files).toEqual(['README.md', 'docs/guide.md', 'src/app/main.ts', 'src/lib/new file.ts']);
    const filtered = await runSkill('git-changed-files', { repo, base: 'main', head: 'feature', paths: 'src/**/*.ts, *.md', diff_filter: 'd' });
    expect(filtered.result).toEqual({ files: ['src/app/main.ts', 'src/lib/new file.ts'], count: 2, truncated: false });
    const folder = await runSkill('git-changed-files', { repo, base: 'main', head: 'feature', paths: 'docs' });
    expect(folder.result.files).toEqual(['docs/guide.md']);

    const option = await runSkill('git-changed-files', { repo, base: '--output=/tmp/x' });
    expect([option.taskExit, option.stderr]).toEqual([2, 'git-changed-files: input base: "--output=/tmp/x" is not a revision (a branch, a tag, a commit, HEAD~1) [BAD_INPUT]']);
    const notRepo = tempDir('baton-not-git-');
    expect((await runSkill('git-changed-files', { repo: notRepo })).stderr).toMatch(new RegExp(`^git-changed-files: ${notRepo} is not a git repository \\(git: fatal: not a git repository.*\\); set repo to the repository's folder \\[GIT_FAILED\\]$`));
  });
});

describe('wait-for-port', () => {
  it('waits until a port accepts connections: a server that starts listening once the skill has tried', async () => {
    const port = await freePort();
    const store = path.join(tempDir('baton-wait-port-'), 'baton.db');
    const run = batonAsync([...skillArgs('wait-for-port', { port, interval: '50ms', timeout: '20s' }), '--store', store, '--follow', '--view', 'plain']);
    // The skill says so after its first try fails; only then does the server start.
    await until(() => run.output().includes('does not accept connections yet (ECONNREFUSED)'), 20_000, 'the first refused try');
    const server = createTcpServer((socket) => socket.end()).listen(port, '127.0.0.1');
    const done = await run.done;
    server.close();
    expect(done.status).toBe(0);
    const runId = /run (\w+) started/.exec(done.stdout)![1];
    // baton status --json has no `result` (yet): the task's outputs are what the workflow's outputs read.
    const outputs = JSON.parse(baton(['status', runId, '--store', store, '--json']).stdout).tasks[0].outputs;
    expect(outputs.tries).toBeGreaterThan(1);
    expect(outputs.waited_ms).toBeTypeOf('number');
  });

  it('fails after the timeout, saying where it waited and the last error', async () => {
    const port = await freePort();
    const r = await runSkill('wait-for-port', { port, timeout: '300ms', interval: '100ms' });
    expect(r.exit).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^wait-for-port: nothing accepted a connection on 127\\.0\\.0\\.1:${port} within 0\\.3s \\(\\d+ tries, last: ECONNREFUSED\\); check that the service is started .* \\[PORT_TIMEOUT\\]$`));
    const bad = await runSkill('wait-for-port', { port: 70000 });
    expect([bad.taskExit, bad.stderr]).toEqual([2, 'wait-for-port: input port: "70000" is not a whole number from 1 to 65535 [BAD_INPUT]']);
  });
});

/** A TCP port nothing listens on (the system picked it free a moment ago). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
