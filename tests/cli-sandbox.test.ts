/**
 * The `workspace-write` sandbox (docs/sandbox.md), end to end with the real bubblewrap:
 * a sandboxed run writes in its project and nowhere else, reaches no port on loopback
 * unless the config allows the network, covers a TypeScript workflow's own code as well as
 * the processes it starts, and stays sandboxed on resume and retry. Signals reach the run
 * inside. Where bwrap cannot make the sandbox, nothing runs.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, baton, batonAsync, tempDir, until } from './helpers.js';

beforeAll(() => {
  const found = spawnSync('bwrap', ['--version'], { encoding: 'utf8' });
  if (found.error || found.status !== 0) {
    throw new Error('these tests need bubblewrap (`bwrap`), which is not installed: .ci/run installs it (apt-get install bubblewrap)');
  }
});

/** Where "outside the project" is: a folder the test (not the sandbox) can write, not under /tmp (private inside). */
const OUTSIDE_BASE = (() => {
  try {
    accessSync('/var/tmp', constants.W_OK);
    return '/var/tmp';
  } catch {
    return homedir();
  }
})();
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

interface RunView {
  run_id: string;
  status: string;
  summary?: string;
  error?: { code: string; message: string; stderr_tail?: string };
  tasks: { id: string; status: string; error?: { code: string; message: string; stderr_tail?: string } }[];
}

/**
 * A project in a temp folder, with baton's home (and store) beside it, outside the
 * project, and a folder outside both that the test can write and the sandbox must not.
 */
function project(config?: string) {
  const root = tempDir('baton-sandbox-');
  const dir = path.join(root, 'project');
  mkdirSync(dir);
  const home = path.join(root, 'home');
  const outside = mkdtempSync(path.join(OUTSIDE_BASE, 'baton-sandbox-outside-'));
  made.push(outside);
  const env = { BATON_HOME: home, OUTSIDE: outside, BATON_STEP_SOCKET: '' };
  const config_ = (text: string) => writeFileSync(path.join(dir, 'baton.config.yaml'), text);
  if (config !== undefined) config_(config);
  const run = (args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) => baton(args, { cwd: dir, env: { ...env, ...options.env }, input: options.input });
  const file = (name: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text, { mode: 0o755 });
    return name;
  };
  const created = (id: string) => JSON.parse(run(['export', id]).stdout.split('\n')[1]) as { type: string; sandbox?: unknown };
  const status = (id: string) => JSON.parse(run(['status', id, '--json']).stdout) as RunView;
  const runs = () => JSON.parse(run(['history', '--json']).stdout) as { run_id: string; status: string }[];
  const escaped = path.join(outside, 'escaped.txt');
  return { dir, home, outside, env, escaped, config: config_, run, file, created, status, runs };
}

/** Writes inside the project, in the (private) /tmp, then outside: stops at the first failure. */
const WRITER = `#!/bin/sh
set -e
echo inside > inside.txt
echo private > "$PRIVATE"
echo escaped > "$OUTSIDE/escaped.txt"
echo wrote-outside
`;

describe('a sandboxed run writes in its project and nowhere else', () => {
  it('a script run with --sandbox: inside works, outside fails (the run fails, no file), its /tmp is its own', () => {
    const p = project();
    const privateFile = path.join(tmpdir(), `baton-sandbox-private-${process.pid}-${Date.now()}`);
    const result = p.run(['run', '--sandbox', p.file('write.sh', WRITER), '--json'], { env: { PRIVATE: privateFile } });
    expect(result.status, result.stderr).toBe(1);
    const view = JSON.parse(result.stdout) as RunView;
    expect(view.status).toBe('failed');
    expect(view.error?.stderr_tail ?? '').toContain('Read-only file system');
    expect(readFileSync(path.join(p.dir, 'inside.txt'), 'utf8')).toBe('inside\n');
    expect(existsSync(p.escaped)).toBe(false);
    // Written inside the sandbox's /tmp, which is not this /tmp.
    expect(existsSync(privateFile)).toBe(false);
    expect(p.created(view.run_id).sandbox).toEqual({ mode: 'workspace-write', network: false, writable: [p.dir] });
  });

  it('baton run - with `sandbox: workspace-write` in the config: the same, with the same --json and exit code; export and import keep the sandbox', () => {
    const p = project('sandbox: workspace-write\n');
    const result = p.run(['run', '-', '--json'], { input: WRITER, env: { PRIVATE: '/tmp/x' } });
    expect(result.status, result.stderr).toBe(1);
    const view = JSON.parse(result.stdout) as RunView;
    expect(view.status).toBe('failed');
    expect(existsSync(path.join(p.dir, 'inside.txt'))).toBe(true);
    expect(existsSync(p.escaped)).toBe(false);
    // The scratch file was written to baton's home (outside the project) and removed after.
    expect(result.stderr).not.toContain('kept');

    const exported = p.run(['export', view.run_id]);
    const other = tempDir('baton-sandbox-import-');
    const imported = baton(['import', '-', '--store', path.join(other, 'runs.db')], { cwd: other, input: exported.stdout });
    expect(imported.status, imported.stderr).toBe(0);
    const again = baton(['export', view.run_id, '--store', path.join(other, 'runs.db')], { cwd: other });
    expect(JSON.parse(again.stdout.split('\n')[1]).sandbox).toEqual({ mode: 'workspace-write', network: false, writable: [p.dir] });
  });

  it('a folder of sandbox.writable is writable too; one that does not exist is refused before anything runs', () => {
    const p = project();
    p.config(`sandbox:\n  writable: [${p.outside}]\n`);
    const ok = p.run(['run', '--sandbox', p.file('write.sh', WRITER), '--view', 'none'], { env: { PRIVATE: '/tmp/x' } });
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(p.escaped, 'utf8')).toBe('escaped\n');
    p.config('sandbox:\n  writable: [missing-folder]\n');
    const missing = p.run(['run', '--sandbox', 'write.sh', '--view', 'none']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`the sandbox makes ${path.join(p.dir, 'missing-folder')} writable, and it does not exist`);
    expect(missing.stderr).toContain('[SANDBOX_WRITABLE]');
  });

  it('a TypeScript workflow runs in the sandbox too: its own code cannot write outside the project', () => {
    const p = project();
    const flow = p.file(
      'flow.ts',
      `import { writeFileSync } from 'node:fs';
import { workflow } from 'baton';

export default workflow({ name: 'ts-sandboxed' }, async (ctx) => {
  await ctx.step('inside', () => writeFileSync('inside.txt', 'ok'));
  await ctx.step('outside', () => writeFileSync(process.env.OUTSIDE + '/escaped.txt', 'escaped'));
});
`,
    );
    const result = p.run(['run', flow, '--sandbox', '--json']);
    expect(result.status, result.stderr).toBe(1);
    const view = JSON.parse(result.stdout) as RunView;
    expect(view.tasks.find((t) => t.id === 'inside')?.status).toBe('succeeded');
    expect(view.tasks.find((t) => t.id === 'outside')?.error?.message).toContain('EROFS');
    expect(existsSync(path.join(p.dir, 'inside.txt'))).toBe(true);
    expect(existsSync(p.escaped)).toBe(false);
  });

  it('--sandbox off runs without the sandbox the config asks for; no flag, with it', () => {
    const p = project('sandbox: workspace-write\n');
    p.file('write.sh', WRITER);
    const off = p.run(['run', 'write.sh', '--sandbox', 'off', '--json'], { env: { PRIVATE: path.join(p.dir, 'private.txt') } });
    expect(off.status, off.stderr).toBe(0);
    expect(existsSync(p.escaped)).toBe(true);
    expect(p.created((JSON.parse(off.stdout) as RunView).run_id).sandbox).toBeUndefined();
    rmSync(p.escaped);
    const on = p.run(['run', 'write.sh', '--json'], { env: { PRIVATE: path.join(p.dir, 'private.txt') } });
    expect(on.status).toBe(1);
    expect(existsSync(p.escaped)).toBe(false);
  });

  it('baton skill run --sandbox: the skill\'s script is sandboxed (--sandbox before the name works too)', () => {
    const p = project();
    p.file('skills/write-out/SKILL.md', '---\nname: write-out\ndescription: Writes a file outside the project, to test the sandbox.\nmetadata:\n  baton.entry: scripts/write.sh\n---\n');
    p.file('skills/write-out/scripts/write.sh', WRITER);
    for (const args of [['skill', 'run', 'write-out', '--sandbox'], ['skill', 'run', '--sandbox', 'write-out']]) {
      const result = p.run([...args, '--view', 'none'], { env: { PRIVATE: '/tmp/x' } });
      expect(result.status, result.stderr).toBe(1);
      expect(existsSync(path.join(p.dir, 'inside.txt'))).toBe(true);
      expect(existsSync(p.escaped)).toBe(false);
    }
    // A workflow's `uses:` runs the skill as a child run: sandboxed with its parent, and recorded so.
    p.file('flow.yaml', 'name: parent\ntasks:\n  - id: write\n    uses: write-out\n');
    const parent = p.run(['run', 'flow.yaml', '--sandbox', '--view', 'none'], { env: { PRIVATE: '/tmp/x' } });
    expect(parent.status, parent.stderr).toBe(1);
    expect(existsSync(p.escaped)).toBe(false);
    const child = p.runs().find((r) => r.status === 'failed' && r.run_id !== p.runs()[0].run_id && p.created(r.run_id).sandbox !== undefined);
    expect(child).toBeDefined();
    expect(p.runs().every((r) => p.created(r.run_id).sandbox !== undefined)).toBe(true);
  });
});

describe('a sandboxed run has no network unless the config allows it', () => {
  const CONNECT = `#!/bin/sh
set -e
test -z "$(ls -A /run 2>/dev/null)" && echo "run: hidden" || echo "run: visible"
baton step connect -- node -e "require('net').connect(Number(process.env.PORT), '127.0.0.1').on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.error(e.code); process.exit(3); })"
`;

  it('cannot reach a port on loopback; with network: true it can', async () => {
    const connections: number[] = [];
    const server = net.createServer((socket) => {
      connections.push(1);
      socket.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as net.AddressInfo).port);
    try {
      const p = project('sandbox: workspace-write\n');
      p.file('connect.sh', CONNECT);
      const cut = p.run(['run', 'connect.sh', '--json'], { env: { PORT: port } });
      expect(cut.status, cut.stderr).toBe(1);
      const view = JSON.parse(cut.stdout) as RunView;
      expect(view.tasks.find((t) => t.id === 'connect')?.error?.stderr_tail).toContain('ECONNREFUSED');
      // baton() waits synchronously: the server takes its connections once it returns.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(connections).toEqual([]);
      expect(p.run(['logs', view.run_id]).stdout).toContain('run: hidden');

      p.config('sandbox:\n  network: true\n');
      const open = p.run(['run', 'connect.sh', '--json'], { env: { PORT: port } });
      expect(open.status, open.stderr).toBe(0);
      await until(() => connections.length === 1, 5_000, 'the server to take the connection');
      expect(p.created((JSON.parse(open.stdout) as RunView).run_id).sandbox).toMatchObject({ network: true });
    } finally {
      server.close();
    }
  });

  it('a store reached over the network needs network: true, and says so', () => {
    const p = project('sandbox: workspace-write\n');
    const result = p.run(['run', p.file('write.sh', WRITER), '--store', 'postgres://baton:secret@db.example/baton', '--json']);
    expect(result.status).toBe(2);
    const error = (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).toBe('SANDBOX_STORE_NETWORK');
    expect(error.message).toContain('`sandbox: {network: true}`');
    expect(error.message).not.toContain('secret');
  });
});

describe('resume, retry and signals of a sandboxed run', () => {
  it('kill -9 of baton ends the run inside; resume and retry go on in the sandbox it started in, whatever the config says by then', async () => {
    const p = project('sandbox: workspace-write\n');
    p.file(
      'steps.sh',
      `#!/bin/sh
set -e
baton step first -- sh -c 'echo one >> steps.log'
baton step wait -- sh -c 'touch waiting; while [ ! -e go ]; do sleep 0.05; done'
echo escaped > "$OUTSIDE/escaped.txt"
echo finished > finished.txt
`,
    );
    const first = batonAsync(['run', 'steps.sh', '--view', 'none'], { cwd: p.dir, env: p.env });
    await until(() => existsSync(path.join(p.dir, 'waiting')), 15_000, 'the second step to start');
    first.child.kill('SIGKILL');
    await first.done;
    // The baton inside died with the one outside (--die-with-parent): the run is interrupted.
    await until(() => p.runs()[0]?.status === 'interrupted', 10_000, 'the run to show as interrupted');
    const id = p.runs()[0].run_id;

    p.config('sandbox: off\n');
    writeFileSync(path.join(p.dir, 'go'), '');
    const resumed = p.run(['resume', id, '--json']);
    expect(resumed.status, resumed.stderr).toBe(1);
    expect(resumed.stderr).toContain(`run ${id} started in the sandbox (${p.dir} writable, no network); going on in it`);
    expect((JSON.parse(resumed.stdout) as RunView).status).toBe('failed');
    expect(readFileSync(path.join(p.dir, 'steps.log'), 'utf8')).toBe('one\n');
    expect(existsSync(p.escaped)).toBe(false);
    expect(existsSync(path.join(p.dir, 'finished.txt'))).toBe(false);

    const retried = p.run(['retry', id, '--view', 'none']);
    expect(retried.status, retried.stderr).toBe(1);
    expect(retried.stderr).toContain('going on in it');
    expect(existsSync(p.escaped)).toBe(false);
    // Unsandboxed, the same script would have got there: a new run with the config's `off`.
    const plain = p.run(['run', 'steps.sh', '--view', 'none']);
    expect(plain.status, plain.stderr).toBe(0);
    expect(existsSync(p.escaped)).toBe(true);
  }, 60_000);

  it('approve and cancel of a waiting sandboxed run go on with it in its sandbox', () => {
    const p = project('sandbox: workspace-write\n');
    p.file(
      'ask.ts',
      `import { writeFileSync } from 'node:fs';
import { workflow } from 'baton';

export default workflow({ name: 'ask' }, async (ctx) => {
  await ctx.approval('go', { prompt: 'write outside?' });
  await ctx.step('outside', () => writeFileSync(process.env.OUTSIDE + '/escaped.txt', 'escaped'));
});
`,
    );
    const asked = p.run(['run', 'ask.ts', '--json']);
    expect(asked.status, asked.stderr).toBe(4);
    const id = (JSON.parse(asked.stdout) as RunView).run_id;
    p.config('sandbox: off\n');
    const approved = p.run(['approve', id, '--json']);
    expect(approved.status, approved.stderr).toBe(1);
    expect(approved.stderr).toContain(`run ${id} started in the sandbox`);
    expect((JSON.parse(approved.stdout) as RunView).tasks.find((t) => t.id === 'outside')?.error?.message).toContain('EROFS');
    expect(existsSync(p.escaped)).toBe(false);

    p.config('sandbox: workspace-write\n');
    const other = (JSON.parse(p.run(['run', 'ask.ts', '--json']).stdout) as RunView).run_id;
    p.config('sandbox: off\n');
    const cancelled = p.run(['cancel', other, '--view', 'none']);
    expect(cancelled.status, cancelled.stderr).toBe(0);
    expect(cancelled.stderr).toContain(`run ${other} started in the sandbox`);
    expect(p.status(other).status).toBe('cancelled');
  });

  const SLEEPERS = `name: sleepers
tasks:
  - id: a
    command: echo $$ > a.pid; sleep $NAP; echo a done
  - id: after
    depends_on: [a]
    command: echo after done
`;

  it('SIGTERM reaches the run inside: its tasks stop, exit 143, the run is left interrupted and resumes sandboxed', async () => {
    const p = project('sandbox: workspace-write\n');
    p.file('flow.yaml', SLEEPERS);
    const run = batonAsync(['run', 'flow.yaml', '--view', 'plain'], { cwd: p.dir, env: { ...p.env, NAP: '30' } });
    await until(() => existsSync(path.join(p.dir, 'a.pid')) && readFileSync(path.join(p.dir, 'a.pid'), 'utf8').endsWith('\n'), 15_000, 'the task to start');
    const task = Number(readFileSync(path.join(p.dir, 'a.pid'), 'utf8'));
    expect(alive(task)).toBe(true);
    run.child.kill('SIGTERM');
    const result = await run.done;
    expect(result.status, result.stderr).toBe(143);
    expect(result.stderr).toContain('stopped by SIGTERM');
    await until(() => !alive(task), 5_000, 'the task to be gone');
    const id = p.runs()[0].run_id;
    expect(p.runs()[0].status).toBe('interrupted');
    const resumed = p.run(['resume', id, '--view', 'none'], { env: { NAP: '0' } });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('going on in it');
    expect(p.status(id).status).toBe('succeeded');
  }, 60_000);

  it('Ctrl-C (SIGINT) reaches the run inside: it is cancelled, exit 130', async () => {
    const p = project('sandbox: workspace-write\n');
    p.file('flow.yaml', SLEEPERS);
    const run = batonAsync(['run', 'flow.yaml', '--view', 'plain'], { cwd: p.dir, env: { ...p.env, NAP: '30' } });
    await until(() => existsSync(path.join(p.dir, 'a.pid')), 15_000, 'the task to start');
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.status, result.stderr).toBe(130);
    expect(result.stderr).toContain('cancelling (SIGINT)');
    expect(p.runs()[0].status).toBe('cancelled');
  }, 60_000);
});

describe('where the sandbox cannot be made, nothing runs', () => {
  /** A stand-in for bwrap, named as such: prints what bwrap prints where namespaces are not allowed. */
  function fakeBwrap(dir: string, body: string): string {
    const file = path.join(dir, 'fake-bwrap');
    writeFileSync(file, `#!/bin/sh\n# A fake bwrap for tests.\n${body}\n`, { mode: 0o755 });
    return file;
  }

  it('bwrap that cannot create namespaces (or fails after the probe): exit 3, SANDBOX_UNAVAILABLE with its message and what to do; --json says so too', () => {
    const p = project('sandbox: workspace-write\n');
    const fake = fakeBwrap(
      tempDir('baton-fake-bwrap-'),
      "echo 'bwrap: No permissions to create new namespace, likely because the kernel does not allow non-privileged user namespaces. On e.g. debian this can be enabled with '\\''sysctl kernel.unprivileged_userns_clone=1'\\''.' >&2\nexit 1",
    );
    p.file('write.sh', WRITER);
    const refused = p.run(['run', 'write.sh'], { env: { BATON_BWRAP: fake } });
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain('bwrap: No permissions to create new namespace');
    expect(refused.stderr).toContain('sysctl kernel.unprivileged_userns_clone=1');
    expect(refused.stderr).toContain('kernel.apparmor_restrict_unprivileged_userns=0');
    expect(refused.stderr).toContain('--sandbox off');
    expect(refused.stderr).toContain('[SANDBOX_UNAVAILABLE]');
    const json = p.run(['run', '-', '--json'], { input: WRITER, env: { BATON_BWRAP: fake } });
    expect(json.status).toBe(3);
    expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code).toBe('SANDBOX_UNAVAILABLE');
    expect(existsSync(path.join(p.dir, 'inside.txt'))).toBe(false);
    expect(p.runs()).toEqual([]);

    // One that passes the probe (a sandbox running `true`) and then fails: caught all the same.
    const late = fakeBwrap(tempDir('baton-fake-bwrap-'), 'for last; do :; done\n[ "$last" = true ] && exit 0\necho "bwrap: Can\'t find source path /gone: No such file or directory" >&2\nexit 1');
    const failed = p.run(['run', 'write.sh'], { env: { BATON_BWRAP: late } });
    expect(failed.status).toBe(3);
    expect(failed.stderr).toContain("bwrap: Can't find source path /gone");
    expect(failed.stderr).toContain(`bubblewrap (${late}) could not set up the sandbox (it exited with code 1; its message is above)`);
    expect(p.runs()).toEqual([]);

    const missing = p.run(['run', 'write.sh'], { env: { BATON_BWRAP: '/nonexistent/bwrap' } });
    expect(missing.status).toBe(3);
    expect(missing.stderr).toContain('install it (Debian and Ubuntu: apt-get install bubblewrap');
    expect(existsSync(path.join(p.dir, 'inside.txt'))).toBe(false);
  });

  it('a bwrap that runs the command without a sandbox is found out: the baton inside refuses, nothing runs', () => {
    const p = project('sandbox: workspace-write\n');
    // Skips its options, tells baton the pid of what it runs, and runs it unsandboxed.
    const fake = fakeBwrap(tempDir('baton-fake-bwrap-'), 'while [ "$1" != "--" ]; do shift; done\nshift\necho "{\\"child-pid\\": $$}" >&3 2>/dev/null\nexec "$@"');
    const result = p.run(['run', p.file('write.sh', WRITER)], { env: { BATON_BWRAP: fake } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('BATON_SANDBOX says this baton runs in a sandbox, but its file system is not read-only');
    expect(result.stderr).toContain('[SANDBOX_NOT_INSIDE]');
    expect(existsSync(path.join(p.dir, 'inside.txt'))).toBe(false);
    const byHand = p.run(['run', 'write.sh', '--sandbox', 'off'], { env: { BATON_SANDBOX: JSON.stringify({ mode: 'workspace-write', network: false, writable: [p.dir] }) } });
    expect(byHand.status).toBe(2);
    expect(byHand.stderr).toContain('[SANDBOX_NOT_INSIDE]');
    expect(p.runs()).toEqual([]);
  });
});
