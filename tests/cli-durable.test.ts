import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

/** A project folder with its own store, and a workflow whose `b` fails until a flag file exists. */
function project(text?: string) {
  const dir = tempDir('baton-durable-');
  const marker = path.join(dir, 'marker');
  const flag = path.join(dir, 'fixed');
  const file = path.join(dir, 'flow.yaml');
  writeFileSync(
    file,
    text ??
      `name: fixable
tasks:
  - id: a
    command: echo a >> ${marker}
  - id: b
    depends_on: [a]
    command: echo b >> ${marker}; test -f ${flag} || { echo "not fixed yet" >&2; exit 4; }
  - id: c
    depends_on: [b]
    command: echo c >> ${marker}
  - id: side
    command: echo side >> ${marker}
`,
  );
  const env = { BATON_HOME: path.join(dir, '.baton') };
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => baton(args, { cwd: dir, env: { ...env, ...extra } });
  const lines = () => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n') : []);
  const lastRun = (): string => JSON.parse(run(['history', '--json']).stdout)[0].run_id;
  return { dir, file, flag, marker, env, run, lines, lastRun };
}

describe('baton run keeps every run', () => {
  it('records a failed run that `baton retry` finishes, re-running only what failed', () => {
    const p = project();
    const first = p.run(['run', 'flow.yaml', '--view', 'none']);
    expect(first.status).toBe(1);
    const id = p.lastRun();
    expect(first.stdout).toContain(`baton retry ${id}`);
    expect(first.stdout).toContain(`baton logs ${id} b`);
    expect(p.lines().sort()).toEqual(['a', 'b', 'side']);

    writeFileSync(p.flag, '');
    const retried = p.run(['retry', id.slice(0, 8), '--view', 'plain']);
    expect(retried.stderr).toBe('');
    expect(retried.status).toBe(0);
    expect(retried.stdout).toContain('reopened: 2 tasks to run again');
    expect(p.lines().sort()).toEqual(['a', 'b', 'b', 'c', 'side']);

    const status = JSON.parse(p.run(['status', id, '--json']).stdout);
    expect(status.status).toBe('succeeded');
    // Both attempts' output stays readable.
    const logs = p.run(['logs', id, 'b']).stdout;
    expect(logs).toContain('not fixed yet');
  });

  it('retry --from re-runs a task and what follows, even after success', () => {
    const p = project();
    writeFileSync(p.flag, '');
    expect(p.run(['run', 'flow.yaml', '--view', 'none']).status).toBe(0);
    const id = p.lastRun();
    const again = p.run(['retry', id, '--from', 'b', '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout).tasks.find((t: { id: string }) => t.id === 'b').attempts).toBe(2);
    expect(p.lines().sort()).toEqual(['a', 'b', 'b', 'c', 'c', 'side']);
    const unknown = p.run(['retry', id, '--from', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("has no task 'nope'");
  });

  it('refuses to resume a finished run or retry one with nothing failed, saying what to do', () => {
    const p = project();
    writeFileSync(p.flag, '');
    p.run(['run', 'flow.yaml', '--view', 'none']);
    const id = p.lastRun();
    const resumed = p.run(['resume', id]);
    expect(resumed.status).toBe(2);
    expect(resumed.stderr).toContain(`run ${id} already succeeded`);
    expect(resumed.stderr).toContain('RUN_FINISHED');
    const retried = p.run(['retry', id]);
    expect(retried.status).toBe(2);
    expect(retried.stderr).toContain('--from <task>');
    expect(p.run(['resume', 'ZZZZ']).stderr).toContain('STORE_RUN_NOT_FOUND');
  });

  it('--store memory keeps nothing', () => {
    const p = project();
    writeFileSync(p.flag, '');
    expect(p.run(['run', 'flow.yaml', '--store', 'memory', '--view', 'none']).status).toBe(0);
    expect(existsSync(path.join(p.dir, '.baton', 'baton.db'))).toBe(false);
  });

  it('resumes a killed run: what finished is kept, the file change is noted, --resume-interrupted finds it', async () => {
    const p = project(`name: slow
tasks:
  - id: first
    command: echo first >> MARKER
  - id: long
    depends_on: [first]
    command: echo long >> MARKER; sleep 30
  - id: last
    depends_on: [long]
    command: echo last >> MARKER
`);
    writeFileSync(p.file, readFileSync(p.file, 'utf8').replaceAll('MARKER', p.marker));
    const running = batonAsync(['run', 'flow.yaml', '--view', 'plain'], { cwd: p.dir, env: p.env });
    await until(() => p.lines().includes('long'), 15_000, 'the long task to start');
    running.child.kill('SIGKILL');
    await running.done;
    const id = p.lastRun();
    expect(JSON.parse(p.run(['history', '--json']).stdout)[0].status).toBe('interrupted');
    // Resume goes on with the snapshot taken when the run started, and says the file changed.
    writeFileSync(p.file, readFileSync(p.file, 'utf8').replace('sleep 30', 'sleep 0') + '\n# edited\n');
    // The resumed long task still sleeps 30 s (the snapshot): cut it short with a cancel from here.
    const resumed = batonAsync(['run', '--resume-interrupted', '--view', 'plain'], { cwd: p.dir, env: p.env });
    await until(() => p.lines().filter((l) => l === 'long').length === 2, 15_000, 'the long task to run again');
    expect(resumed.output()).toContain('changed since run');
    const cancel = p.run(['cancel', id.slice(0, 10)]);
    expect(cancel.status).toBe(0);
    const done = await resumed.done;
    expect(done.status).toBe(130);
    expect(p.lines().filter((l) => l === 'first')).toHaveLength(1);
    expect(JSON.parse(p.run(['status', id, '--json']).stdout).status).toBe('cancelled');
  }, 60_000);

  it('masks secrets in stored logs and the summary', () => {
    const p = project(`name: secretive
secrets: [DEPLOY_TOKEN]
tasks:
  - id: use
    command: echo "token=$DEPLOY_TOKEN"; echo "tok=${'$'}{{ secrets.DEPLOY_TOKEN }}" >&2; exit 1
`);
    const result = p.run(['run', 'flow.yaml', '--view', 'plain', '--follow'], { DEPLOY_TOKEN: 'hunter2-very-secret' });
    expect(result.status).toBe(1);
    const id = p.lastRun();
    const everything = result.stdout + result.stderr + p.run(['logs', id]).stdout + p.run(['export', id]).stdout + p.run(['status', id, '--json']).stdout;
    expect(everything).not.toContain('hunter2-very-secret');
    expect(everything).toContain('token=***');
    const missing = p.run(['run', 'flow.yaml'], { DEPLOY_TOKEN: '' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('DEPLOY_TOKEN');
  });
});
