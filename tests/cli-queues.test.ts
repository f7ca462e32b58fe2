/**
 * The run queue on the command line, with no server: `baton run` of a workflow whose
 * concurrency key is held waits in the queue (and says so), is skipped, or is taken out of
 * the queue by Ctrl-C or `baton cancel`; `baton status` and `baton history` show it queued,
 * with its place; `baton validate` warns about the integer form of `concurrency:`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync } from './helpers.js';
import { project } from './serve-helpers.js';

const flow = (name: string, concurrency: string) =>
  `name: ${name}\ninputs:\n  gate: {type: string}\nconcurrency: ${concurrency}\ntasks:\n  - id: work\n    command: while [ ! -f "$GATE" ]; do sleep 0.05; done; echo done\n    environment: { GATE: "\${ inputs.gate }" }\n`;

/** Starts a run that holds the key until `gate` exists; resolves once it runs. */
async function holder(dir: string, file: string, gate: string) {
  const held = batonAsync(['run', file, '-i', `gate=${gate}`, '--view', 'plain'], { cwd: dir });
  await until(() => /work started/.test(held.output()), 'the holder to start', held.output);
  return held;
}

async function until(check: () => boolean, what: string, output: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('baton run: the run queue', () => {
  it('skips a run whose key is busy (on_conflict: skip): cancelled, never started, and says why', async () => {
    const dir = project({ 'once.yaml': flow('once', '{on_conflict: skip}') });
    const gate = path.join(dir, 'gate');
    const held = await holder(dir, 'once.yaml', gate);
    const skipped = baton(['run', 'once.yaml', '-i', `gate=${gate}`, '--json'], { cwd: dir });
    expect(skipped.status).toBe(130);
    const summary = JSON.parse(skipped.stdout) as { status: string; reason: string; started_at?: string };
    expect(summary).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/^skipped: concurrency key once is full \(limit 1; run \w{26} holds it\)$/) });
    expect(summary.started_at).toBeUndefined();
    writeFileSync(gate, '');
    expect((await held.done).status).toBe(0);
  });

  it('shows a waiting run as queued with its place; Ctrl-C takes it out of the queue, baton cancel too', async () => {
    const dir = project({ 'deploy.yaml': flow('deploy', '{key: deploy, limit: 1}') });
    const gate = path.join(dir, 'gate');
    const held = await holder(dir, 'deploy.yaml', gate);
    const waiting = batonAsync(['run', 'deploy.yaml', '-i', `gate=${gate}`, '--view', 'plain'], { cwd: dir });
    await until(() => /queued \(position 1\)/.test(waiting.output()), 'the first to queue', waiting.output);
    const second = batonAsync(['run', 'deploy.yaml', '-i', `gate=${gate}`, '--view', 'plain', '--priority', '-1'], { cwd: dir });
    await until(() => /queued \(position 2\)/.test(second.output()), 'the second to queue', second.output);
    const [first, last] = [/run (\w{26}) queued/.exec(waiting.output())![1], /run (\w{26}) queued/.exec(second.output())![1]];

    const status = baton(['status', first], { cwd: dir });
    expect(status.stdout).toMatch(/status\s+queued/);
    expect(status.stdout).toMatch(/queue\s+position 1: concurrency key deploy is full \(run \w{26} held it\)/);
    expect(status.stdout).toContain(`Take it out of the queue: baton cancel ${first}`);
    const history = JSON.parse(baton(['history', '--status', 'queued', '--json'], { cwd: dir }).stdout) as Array<{ run_id: string; priority: number; queue: { position: number } }>;
    expect(history.map((r) => [r.run_id, r.priority, r.queue.position])).toEqual([
      [last, -1, 2],
      [first, 0, 1],
    ]);
    expect(baton(['history', '--status', 'queued'], { cwd: dir }).stdout).toMatch(new RegExp(`${first}\\s+deploy\\s+queued #1`));

    waiting.child.kill('SIGINT');
    const cancelled = await waiting.done;
    expect(cancelled.status).toBe(130);
    expect(cancelled.stdout).toContain('cancelled by the user while queued');
    const cancel = baton(['cancel', last], { cwd: dir });
    expect(cancel.status, cancel.stderr).toBe(0);
    expect((await second.done).stdout).toContain('cancelled with baton cancel');
    expect(JSON.parse(baton(['status', first, '--json'], { cwd: dir }).stdout)).toMatchObject({ status: 'cancelled', reason: 'cancelled by the user while queued' });
    writeFileSync(gate, '');
    expect((await held.done).status).toBe(0);
  });

  it('leaves a run stopped by SIGTERM in the queue; baton resume waits for its turn again, in its place', async () => {
    const dir = project({ 'deploy.yaml': flow('deploy', '{key: deploy}') });
    const gate = path.join(dir, 'gate');
    const held = await holder(dir, 'deploy.yaml', gate);
    const stopped = batonAsync(['run', 'deploy.yaml', '-i', `gate=${gate}`, '--view', 'plain'], { cwd: dir });
    await until(() => /queued \(position 1\)/.test(stopped.output()), 'it to queue', stopped.output);
    const id = /run (\w{26}) queued/.exec(stopped.output())![1];
    stopped.child.kill('SIGTERM');
    expect((await stopped.done).status).toBe(143);
    expect(JSON.parse(baton(['status', id, '--json'], { cwd: dir }).stdout)).toMatchObject({ status: 'queued' });

    // A later run queues behind it.
    const later = batonAsync(['run', 'deploy.yaml', '-i', `gate=${gate}`, '--view', 'plain'], { cwd: dir });
    await until(() => /queued \(position 2\)/.test(later.output()), 'the later run to queue', later.output);
    const resumed = batonAsync(['resume', id, '--view', 'plain'], { cwd: dir });
    await until(() => new RegExp(`run ${id} queued`).test(resumed.output()), 'the resume to wait', resumed.output);
    writeFileSync(gate, '');
    expect((await held.done).status).toBe(0);
    const [r, l] = [await resumed.done, await later.done];
    expect(r.status, r.stderr).toBe(0);
    expect(l.status, l.stderr).toBe(0);
    const started = (run: string) => Date.parse((JSON.parse(baton(['status', run, '--json'], { cwd: dir }).stdout) as { started_at: string }).started_at);
    const laterId = /run (\w{26}) queued/.exec(l.stderr)![1];
    expect(started(id)).toBeLessThan(started(laterId));
  });

  it('baton validate warns about `concurrency: N`, at its line and column, with how to write it', () => {
    const dir = project({ 'old.yaml': 'name: old\nconcurrency: 4\ntasks:\n  - id: a\n    command: echo\n' });
    const validated = baton(['validate', 'old.yaml'], { cwd: dir });
    expect(validated.status).toBe(0);
    expect(validated.stdout + validated.stderr).toContain('old.yaml:2:14: warning SPEC_CONCURRENCY_NUMBER: `concurrency: 4` limits the tasks of a run');
    expect(validated.stdout + validated.stderr).toContain('hint: write `concurrency: {tasks: 4}`');
  });
});
