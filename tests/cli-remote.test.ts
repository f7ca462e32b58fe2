/**
 * The CLI's `--server URL` end to end: a real `baton serve` on an ephemeral port, the real
 * CLI talking to it over HTTP, and the same commands run locally against the server's store
 * to compare what they print.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, BATON, batonAsync, TEST_HOME, until as eventually } from './helpers.js';
import { HELLO, killServers, project, serve, until } from './serve-helpers.js';

afterEach(killServers);

const FAIL = 'name: fail\ntasks:\n  - id: boom\n    command: echo oops >&2; exit 3\n';
const CHATTY = 'name: chatty\ntasks:\n  - id: loud\n    command: echo shown\n    live_output: true\n  - id: quiet\n    command: echo hidden\n';
const FLAKY = 'name: flaky\ntasks:\n  - id: check\n    command: test -f marker\n';
const NAP = 'name: nap\ntasks:\n  - id: nap\n    command: sleep 30\n  - id: cleanup\n    depends_on: [nap]\n    condition: always()\n    command: echo cleaned\n';
const GATE =
  "import { workflow } from 'baton';\nexport default workflow({ name: 'gate' }, async (ctx) => {\n  await ctx.approval('go-live', { prompt: 'Ship it?' });\n  const dns = await ctx.waitForEvent<{ ok: boolean }>('dns', { event: 'dns.propagated' });\n  return ctx.summary(`shipped, dns ${dns.ok}`);\n});\n";

/** The keys of a JSON document, all the way down (arrays by their first entry): its shape. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value === null || typeof value !== 'object') return typeof value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shape((value as Record<string, unknown>)[key])]));
}

function runIdIn(text: string): string {
  const match = /Run (\w{26})/.exec(text);
  if (!match) throw new Error(`no run id in:\n${text}`);
  return match[1];
}

describe('baton --server', () => {
  it('runs a workflow by name or by file on the server, with the summary, --json and exit codes of a local run', async () => {
    const dir = project({ 'hello.yaml': HELLO, 'fail.yaml': FAIL, 'chatty.yaml': CHATTY });
    const s = await serve(dir);
    const remote = (...args: string[]) => baton([...args, '--server', s.base], { cwd: dir });

    const ok = remote('run', 'hello', '-i', 'who=remote', '--view', 'plain');
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/run \w{26} started: hello \(1 task\)/);
    expect(ok.stdout).toMatch(/Run \w{26} hello: succeeded in/);
    expect(ok.stdout).toContain('{"said":"hello remote"}');

    // Output as it is written: every task's with --follow, a live_output task's always.
    expect(remote('run', 'hello', '--follow', '--view', 'plain').stdout).toMatch(/say started\nsay \| hello world\n.*say succeeded/);
    const chatty = remote('run', 'chatty', '--view', 'plain');
    expect(chatty.stdout).toContain('loud | shown');
    expect(chatty.stdout).not.toContain('hidden');

    // A file is taken for its workflow's name; the run's failure is the run's exit code, with hints that work as printed.
    const failed = remote('run', 'fail.yaml');
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('boom: command exited with code 3 [EXEC_EXIT_CODE]');
    const failedId = runIdIn(failed.stdout);
    expect(failed.stdout).toContain(`baton retry --server ${s.base} ${failedId}`);

    // --json: the summary document of `baton run --json`, the same shape as a local run's.
    const json = JSON.parse(remote('run', 'hello', '--json').stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ workflow: { name: 'hello' }, status: 'succeeded', result: { said: 'hello world' } });
    const local = baton(['run', 'hello.yaml', '--json'], { cwd: dir });
    expect(shape(json)).toEqual(shape(JSON.parse(local.stdout)));

    // --detach: the id, and the run left to the server.
    const detached = remote('run', 'hello', '--detach');
    expect(detached.status).toBe(0);
    const detachedId = detached.stdout.trim();
    expect(detachedId).toMatch(/^\w{26}$/);
    expect(detached.stderr).toContain(`the server drives it (see it with: baton status --server ${s.base} ${detachedId} --watch)`);

    // A workflow the server does not serve: its error, with its code and the exit code of its category.
    const other = path.join(project({ 'other.yaml': 'name: other\ntasks:\n  - id: a\n    type: noop\n' }), 'other.yaml');
    const missing = remote('run', other);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`${other} is workflow other, which the server at ${s.base} does not serve`);
    expect(missing.stderr).toContain('[WORKFLOW_NOT_FOUND]');
    const unknown = remote('run', 'nope', '--json');
    expect(unknown.status).toBe(2);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ error: { code: 'WORKFLOW_NOT_FOUND', category: 'not_found' } });
  });

  it('reads history, status and logs from the server as they read locally', async () => {
    const dir = project({ 'hello.yaml': HELLO, 'fail.yaml': FAIL });
    const s = await serve(dir);
    const remote = (...args: string[]) => baton([...args, '--server', s.base], { cwd: dir });
    const runId = runIdIn(remote('run', 'fail').stdout);
    expect(remote('run', 'hello').status).toBe(0);

    // BATON_SERVER does what --server does.
    const history = baton(['history'], { cwd: dir, env: { BATON_SERVER: s.base } });
    expect(history.status).toBe(0);
    expect(history.stdout).toMatch(/^RUN +WORKFLOW +STATUS/);
    expect(history.stdout).toMatch(/hello +succeeded/);
    expect(history.stdout).toMatch(new RegExp(`${runId} +fail +failed`));
    const remoteHistory = JSON.parse(remote('history', '--json', '-n', '1').stdout) as Array<{ workflow: { name: string } }>;
    expect(remoteHistory.map((r) => r.workflow.name)).toEqual(['hello']);
    expect(remoteHistory).toEqual(JSON.parse(baton(['history', '--json', '-n', '1'], { cwd: dir }).stdout));

    // status --json is the local document (the server reads the same store), from any prefix of the id.
    const status = remote('status', runId.slice(0, 12), '--json');
    expect(status.status).toBe(0);
    const view = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(view).toMatchObject({ run_id: runId, status: 'failed', tasks: [{ id: 'boom', status: 'failed', exit_code: 3 }] });
    expect(shape(view)).toEqual(shape(JSON.parse(baton(['status', runId, '--json'], { cwd: dir }).stdout)));
    const human = remote('status', runId);
    expect(human.stdout).toContain(`Run ${runId}  fail`);
    expect(human.stdout).toContain(`baton retry --server ${s.base} ${runId}`);

    expect(remote('logs', runId).stdout).toBe('boom ! oops\n');
    expect(remote('logs', runId, 'boom').stdout).toBe('oops\n');
    expect(remote('logs', runId, '--tail', '1').stdout).toBe('boom ! oops\n');
    const noTask = remote('logs', runId, 'bom');
    expect(noTask.status).toBe(2);
    expect(noTask.stderr).toContain("has no task 'bom' (did you mean 'boom'?)");

    // What the server refuses is shown as locally, with its code.
    const notFound = remote('status', 'NOPE');
    expect(notFound.status).toBe(2);
    expect(notFound.stderr).toContain('[STORE_RUN_NOT_FOUND]');
  });

  it('cancels a slow run, retries and resumes runs on the server', async () => {
    const dir = project({ 'nap.yaml': NAP, 'flaky.yaml': FLAKY });
    const s = await serve(dir);
    const remote = (...args: string[]) => baton([...args, '--server', s.base], { cwd: dir });

    // Started detached; cancelled once its task runs: cancel waits for the server to carry it out.
    const runId = remote('run', 'nap', '--detach').stdout.trim();
    await until(`${s.base}/api/runs/${runId}/events`, 'TaskStarted');
    const cancelled = remote('cancel', runId, '--reason', 'not now');
    expect(cancelled.status, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toBe(`run ${runId} cancelled\n`);
    expect(JSON.parse(remote('status', runId, '--json').stdout)).toMatchObject({ status: 'cancelled', tasks: [{ id: 'nap', status: 'cancelled' }, { id: 'cleanup', status: 'succeeded' }] });

    // A failed run retried once its cause is gone; only what the retry did is shown.
    const flaky = runIdIn(remote('run', 'flaky').stdout);
    writeFileSync(path.join(dir, 'marker'), '');
    const retried = remote('retry', flaky, '--view', 'plain');
    expect(retried.status, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/reopened: 1 task to run again/);
    expect(retried.stdout.match(/check started/g)).toHaveLength(1);
    expect(retried.stdout).toMatch(/Run \w{26} flaky: succeeded/);
    const again = remote('retry', flaky);
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('[RUN_NOTHING_TO_RETRY]');

    // A run whose local process was killed is interrupted; the server resumes it.
    // Its first task sleeps until the file `go` is there: killed while it sleeps, resumed once it is.
    writeFileSync(path.join(dir, 'quick.yaml'), 'name: quick\ntasks:\n  - id: a\n    command: if [ -f go ]; then echo one; else sleep 60; fi\n  - id: b\n    depends_on: [a]\n    command: echo two\n');
    const local = spawn(process.execPath, [BATON, 'run', 'quick.yaml', '--view', 'none'], { cwd: dir, env: { ...process.env, BATON_HOME: TEST_HOME }, stdio: 'ignore' });
    const interrupted = await (async () => {
      for (let i = 0; i < 400; i++) {
        const runs = JSON.parse(remote('history', '--json', '-w', 'quick').stdout) as Array<{ run_id: string; counts: { running: number } }>;
        if (runs[0]?.counts.running === 1) return runs[0].run_id;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the local run never started its task');
    })();
    local.kill('SIGKILL');
    await new Promise((r) => local.on('exit', r));
    writeFileSync(path.join(dir, 'go'), '');
    const resumed = remote('resume', interrupted, '--view', 'plain');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/resumed by pid/);
    expect(resumed.stdout).not.toMatch(/started: quick/);
    expect(resumed.stdout).toMatch(/Run \w{26} quick: succeeded/);
  });

  it('answers approvals and events of a waiting run: each command follows the run to its end or its next wait', async () => {
    const dir = project({ 'gate.ts': GATE });
    const s = await serve(dir);
    const remote = (...args: string[]) => baton([...args, '--server', s.base], { cwd: dir });

    const waiting = remote('run', 'gate');
    expect(waiting.status, waiting.stderr).toBe(4);
    expect(waiting.stdout).toContain('go-live waits for approval: Ship it?');
    expect(waiting.stdout).toContain(`baton approve --server ${s.base}`);
    const runId = runIdIn(waiting.stdout);

    const approved = remote('approve', runId, '--comment', 'ok', '--json');
    expect(approved.status, approved.stderr).toBe(4);
    expect(approved.stderr).toContain(`approved go-live of run ${runId}`);
    expect(JSON.parse(approved.stdout)).toMatchObject({ status: 'waiting', waits: [{ task: 'dns', kind: 'event', event: 'dns.propagated' }] });

    const none = remote('emit', 'nobody.listens');
    expect(none.status).toBe(0);
    expect(none.stderr).toContain('no run waits for event nobody.listens');
    const emitted = remote('emit', 'dns.propagated', '--data', '{"ok": true}');
    expect(emitted.status, emitted.stderr).toBe(0);
    expect(emitted.stdout).toMatch(/Run \w{26} gate: succeeded/);
    expect(emitted.stdout).toContain('shipped, dns true');

    const late = remote('approve', runId);
    expect(late.status).toBe(2);
    expect(late.stderr).toContain('[RUN_FINISHED]');
  });

  it('says when the server cannot be reached, and refuses flags that need a local run', async () => {
    const dir = project({ 'hello.yaml': HELLO });
    // A port nothing listens on: a server started and stopped.
    const s = await serve(dir);
    s.child.kill('SIGTERM');
    await s.exited;
    const down = baton(['history', '--server', s.base], { cwd: dir });
    expect(down.status).toBe(3);
    expect(down.stderr).toContain(`cannot reach the baton server at ${s.base} (connection refused): start it with \`baton serve\``);
    expect(down.stderr).toContain('[SERVER_UNREACHABLE]');
    const json = baton(['run', 'hello', '--json'], { cwd: dir, env: { BATON_SERVER: s.base } });
    expect(json.status).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'SERVER_UNREACHABLE', category: 'unavailable', details: { server: s.base } } });

    const usage = (args: string[], env: NodeJS.ProcessEnv = {}) => baton(args, { cwd: dir, env });
    expect(usage(['run', 'hello.yaml', '--dry-run', '--server', s.base]).stderr).toContain('--dry-run is for a local run and does not go with --server');
    expect(usage(['history', '--store', 'x.db', '--server', s.base]).status).toBe(2);
    const env = usage(['run', 'hello', '-e', 'A=1'], { BATON_SERVER: s.base });
    expect(env.status).toBe(2);
    expect(env.stderr).toContain('--env does not go with BATON_SERVER');
    expect(usage(['run', 'hello.yaml', '--detach']).stderr).toContain('--detach is for a run on a server');
    expect(usage(['history', '--server', 'ftp://x']).stderr).toContain('is not an http(s) URL');
    // BATON_SERVER and an explicit --store: the store asked for.
    const local = usage(['run', 'hello.yaml', '--store', path.join(dir, 'local.db')], { BATON_SERVER: s.base });
    expect(local.status, local.stderr).toBe(0);
    // Another program on the port: not baton's answer. (It answers from this process: the CLI runs beside it, not blocking it.)
    const other = await otherServer();
    try {
      const bad = await batonAsync(['status', 'ABC', '--server', other.url], { cwd: dir }).done;
      expect(bad.status).toBe(3);
      expect(bad.stderr).toContain('[SERVER_BAD_ANSWER]');
    } finally {
      other.close();
    }
  });

  it('Ctrl-C on a run it follows asks the server to cancel it', async () => {
    const dir = project({ 'nap.yaml': NAP });
    const s = await serve(dir);
    const run = batonAsync(['run', 'nap', '--server', s.base, '--view', 'plain'], { cwd: dir });
    await eventually(() => run.output().includes('nap started'), 20_000, 'the task to start');
    run.child.kill('SIGINT');
    const done = await run.done;
    expect(done.status).toBe(130);
    expect(done.stderr).toContain('asked the server at');
    expect(done.stdout).toMatch(/Run \w{26} nap: cancelled/);
    expect(done.stdout).toMatch(/cleanup +succeeded/);
  });
});

/** An HTTP server that is not baton's: it answers HTML. */
async function otherServer(): Promise<{ url: string; close: () => void }> {
  const http = await import('node:http');
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>hi</html>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
