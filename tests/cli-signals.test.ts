import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, baton, batonAsync, tempDir, until } from './helpers.js';

/**
 * SIGTERM and SIGHUP (a closed terminal or SSH session) stop what a run started and leave
 * the run interrupted for `baton resume`: no task keeps running with nothing watching it.
 * SIGINT keeps cancelling the run.
 */
function project() {
  const dir = tempDir('baton-signals-');
  // Each task records its shell's pid (the leader of its process group), then sleeps as
  // long as $NAP says: long on the first run, not at all on the resume.
  writeFileSync(
    path.join(dir, 'flow.yaml'),
    `name: sleepers
tasks:
  - id: a
    command: echo $$ > a.pid; sleep $NAP; echo a done
  - id: b
    command: echo $$ > b.pid; sleep $NAP; echo b done
  - id: after
    depends_on: [a, b]
    command: echo after done
`,
  );
  const env = { BATON_HOME: path.join(dir, '.baton') };
  const pids = () => ['a.pid', 'b.pid'].map((f) => Number(readFileSync(path.join(dir, f), 'utf8').trim()));
  return { dir, env, pids };
}

/** Is anything left of the process group `pgid` leads? */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each([
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const)('baton run stopped by %s', (signal, code) => {
  it(`stops the tasks, exits ${code}, and leaves the run interrupted for baton resume`, async () => {
    const p = project();
    const run = batonAsync(['run', 'flow.yaml', '--view', 'plain'], { cwd: p.dir, env: { ...p.env, NAP: '30' } });
    await until(() => existsSync(path.join(p.dir, 'a.pid')) && existsSync(path.join(p.dir, 'b.pid')), 15_000, 'both tasks to start');
    const [a, b] = p.pids();
    expect(alive(a) && alive(b)).toBe(true);

    const sent = Date.now();
    run.child.kill(signal);
    const result = await run.done;
    // Promptly: the tasks get SIGTERM and die at once; nothing waits for `sleep 30`.
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(result.status).toBe(code);
    expect(result.stderr).toContain(`stopped by ${signal}`);
    expect(result.stderr).toMatch(/baton resume [0-9A-Z]{26}/);
    await until(() => !groupAlive(a) && !groupAlive(b), 5_000, 'the task process groups to be gone');

    const history = baton(['history', '-s', 'interrupted', '--json'], { cwd: p.dir, env: p.env });
    const runs = JSON.parse(history.stdout) as { run_id: string; status: string }[];
    expect(runs).toHaveLength(1);
    const id = runs[0].run_id;
    expect(result.stderr).toContain(`baton resume ${id}`);
    // Nothing was recorded after the signal: the stopped tasks did not fail, they were running.
    const status = JSON.parse(baton(['status', id, '--json'], { cwd: p.dir, env: p.env }).stdout);
    expect(status.tasks.filter((t: { status: string }) => t.status === 'failed')).toEqual([]);

    const resumed = baton(['resume', id, '--view', 'none'], { cwd: p.dir, env: { ...p.env, NAP: '0' } });
    expect(resumed.status).toBe(0);
    const after = JSON.parse(baton(['status', id, '--json'], { cwd: p.dir, env: p.env }).stdout);
    expect(after.status).toBe('succeeded');
    expect(baton(['logs', id, 'after'], { cwd: p.dir, env: p.env }).stdout).toContain('after done');
  }, 60_000);
});

describe('baton run and SIGINT', () => {
  it('still cancels the run (exit 130), not interrupts it', async () => {
    const p = project();
    const run = batonAsync(['run', 'flow.yaml', '--view', 'plain'], { cwd: p.dir, env: { ...p.env, NAP: '30' } });
    await until(() => existsSync(path.join(p.dir, 'a.pid')) && existsSync(path.join(p.dir, 'b.pid')), 15_000, 'both tasks to start');
    const [a, b] = p.pids();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.status).toBe(130);
    await until(() => !groupAlive(a) && !groupAlive(b), 5_000, 'the task process groups to be gone');
    const runs = JSON.parse(baton(['history', '--json'], { cwd: p.dir, env: p.env }).stdout) as { status: string }[];
    expect(runs.map((r) => r.status)).toEqual(['cancelled']);
  }, 60_000);
});
