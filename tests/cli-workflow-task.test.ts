/**
 * Workflow tasks end to end, as real processes: a parent file runs a child file as a child
 * run (inputs in, outputs out), the parent killed (-9) while the child runs and resumed
 * (the same child goes on, no second one), cancels both ways, a failing child, and a child
 * file that is not there.
 *
 * The child's task waits for a file `go` to appear, so a test decides when it ends.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

const CHILD = `name: child
inputs:
  who: {type: string}
outputs:
  greeting: "\${ tasks.greet.outputs.text }"
tasks:
  - id: greet
    command: |
      echo start >> starts.txt
      while [ ! -f go ]; do sleep 0.05; done
      echo "text=hello $WHO" >> "$BATON_OUTPUT"
    environment: { WHO: "\${ inputs.who }" }
`;

const PARENT = `name: parent
inputs:
  team: {type: string, default: ops}
tasks:
  - id: kid
    workflow: child.yaml
    inputs: { who: "\${ inputs.team }" }
  - id: after
    depends_on: [kid]
    command: echo "got \${ tasks.kid.outputs.greeting }"
`;

interface Project {
  dir: string;
  run: (args: string[]) => ReturnType<typeof baton>;
  start: (args: string[]) => ReturnType<typeof batonAsync>;
  /** Runs in the store, by workflow name. */
  runs: (workflow: string) => Array<{ run_id: string; status: string }>;
  status: (runId: string) => { status: string; error?: { code: string; message: string }; tasks: Array<{ id: string; status: string; attempts: number; child_run?: string; outputs?: Record<string, unknown>; error?: { code: string; message: string } }> };
  go: () => void;
  starts: () => number;
}

/** Every project made: their waiting tasks are let go at the end, so none outlives the tests (a task whose baton was killed keeps waiting for `go`). */
const projects: Project[] = [];
afterAll(() => {
  for (const p of projects) p.go();
});

function project(files: Record<string, string> = { 'child.yaml': CHILD, 'parent.yaml': PARENT }): Project {
  const made = makeProject(files);
  projects.push(made);
  return made;
}

function makeProject(files: Record<string, string>): Project {
  const dir = tempDir('baton-workflow-task-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const run = (args: string[]) => baton(args, { cwd: dir });
  return {
    dir,
    run,
    start: (args) => batonAsync(args, { cwd: dir }),
    runs: (workflow) => (JSON.parse(run(['history', '--json']).stdout) as Array<{ run_id: string; status: string; workflow: { name: string } }>).filter((r) => r.workflow.name === workflow),
    status: (runId) => JSON.parse(run(['status', runId, '--json']).stdout),
    go: () => writeFileSync(path.join(dir, 'go'), ''),
    starts: () => (existsSync(path.join(dir, 'starts.txt')) ? readFileSync(path.join(dir, 'starts.txt'), 'utf8').split('\n').filter(Boolean).length : 0),
  };
}

/** Starts the parent and waits until its child's task runs; gives the parent's and the child's ids. */
async function startParent(p: Project, starts = 1) {
  const running = p.start(['run', 'parent.yaml', '--view', 'plain']);
  await until(() => p.starts() >= starts, 20_000, "the child's task to start");
  const parent = p.runs('parent')[0].run_id;
  const child = p.status(parent).tasks.find((t) => t.id === 'kid')!.child_run!;
  return { running, parent, child };
}

describe('a workflow task', () => {
  it("runs the file as a child run with the task's inputs; the child's outputs are the task's; baton status names the child", async () => {
    const p = project();
    p.go();
    const r = p.run(['run', 'parent.yaml', '--json', '-i', 'team=sre']);
    expect(r.status, r.stderr).toBe(0);
    const parent = JSON.parse(r.stdout) as { run_id: string; tasks: Array<{ id: string; outputs?: Record<string, unknown> }> };
    expect(parent.tasks.find((t) => t.id === 'kid')?.outputs).toEqual({ greeting: 'hello sre' });
    expect(p.run(['logs', parent.run_id, 'after']).stdout).toContain('got hello sre');
    const [child] = p.runs('child');
    expect(child.status).toBe('succeeded');
    expect(p.status(parent.run_id).tasks.find((t) => t.id === 'kid')).toMatchObject({ status: 'succeeded', child_run: child.run_id });
    expect(p.run(['status', parent.run_id]).stdout).toMatch(new RegExp(`kid\\s+succeeded .*child run ${child.run_id}: greeting=hello sre`));
    expect(p.status(child.run_id)).toMatchObject({ status: 'succeeded', result: { greeting: 'hello sre' } });
  });

  it('kill -9 of the parent while the child runs: baton resume goes on with the same child, and no second one starts', async () => {
    const p = project();
    const { running, parent, child } = await startParent(p);
    running.child.kill('SIGKILL');
    await running.done;
    p.go();
    const resumed = p.run(['resume', parent]);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(p.status(parent)).toMatchObject({ status: 'succeeded' });
    expect(p.status(parent).tasks.find((t) => t.id === 'kid')).toMatchObject({ child_run: child, outputs: { greeting: 'hello ops' } });
    // One child run: resumed, its task run again (at least once), not a new run.
    expect(p.runs('child')).toEqual([{ ...p.runs('child')[0], run_id: child, status: 'succeeded' }]);
    expect(p.status(child).tasks.find((t) => t.id === 'greet')!.attempts).toBe(2);
    expect(p.starts()).toBe(2);
  }, 60_000);

  it('baton cancel of the parent cancels the child', async () => {
    const p = project();
    const { running, parent, child } = await startParent(p);
    expect(p.run(['cancel', parent]).status).toBe(0);
    expect((await running.done).status).toBe(130);
    expect(p.status(parent).status).toBe('cancelled');
    expect(p.status(child).status).toBe('cancelled');
  }, 60_000);

  it('baton cancel of a parent nobody drives (its process was killed) cancels the child left behind too', async () => {
    const p = project();
    const { running, parent, child } = await startParent(p);
    running.child.kill('SIGKILL');
    await running.done;
    const cancelled = p.run(['cancel', parent]);
    expect(cancelled.status, cancelled.stdout + cancelled.stderr).toBe(0);
    expect(p.status(parent).status).toBe('cancelled');
    expect(p.status(child)).toMatchObject({ status: 'cancelled' });
  }, 60_000);

  it('Ctrl-C (SIGINT) of baton run cancels the parent and the child', async () => {
    const p = project();
    const { running, parent, child } = await startParent(p);
    running.child.kill('SIGINT');
    expect((await running.done).status).toBe(130);
    expect(p.status(parent).status).toBe('cancelled');
    expect(p.status(child).status).toBe('cancelled');
  }, 60_000);

  it('a child cancelled on its own fails the task with RUN_CHILD_CANCELLED; baton retry of the parent starts a new child', async () => {
    const p = project();
    const { running, parent, child } = await startParent(p);
    expect(p.run(['cancel', child]).status).toBe(0);
    expect((await running.done).status).toBe(1);
    const kid = p.status(parent).tasks.find((t) => t.id === 'kid')!;
    expect(kid.error).toMatchObject({ code: 'RUN_CHILD_CANCELLED' });
    expect(kid.error!.message).toContain(`child run ${child} (child.yaml) was cancelled, not by this run`);
    expect(p.status(parent).tasks.find((t) => t.id === 'after')!.status).toBe('skipped');
    p.go();
    const again = p.run(['retry', parent]);
    expect(again.status, again.stdout + again.stderr).toBe(0);
    const children = p.runs('child');
    expect(children.map((c) => c.status).sort()).toEqual(['cancelled', 'succeeded']);
    expect(p.status(parent).tasks.find((t) => t.id === 'kid')!.child_run).toBe(children.find((c) => c.status === 'succeeded')!.run_id);
  }, 60_000);

  it("a failing child fails the parent's task with the child's own error, not retried unless asked; a retry goes on with the same child", () => {
    const p = project({
      'child.yaml': 'name: child\ntasks:\n  - id: migrate\n    command: echo "disk full on /var" >&2; exit 3\n',
      'parent.yaml': 'name: parent\ntasks:\n  - id: kid\n    workflow: child.yaml\n    retry: { attempts: 3, delay: 10ms }\n  - id: asked\n    workflow: child.yaml\n    retry: { attempts: 2, delay: 10ms, retry_on: { errors: [RUN_CHILD_FAILED] } }\n',
    });
    const r = p.run(['run', 'parent.yaml']);
    expect(r.status).toBe(1);
    const parent = p.status(p.runs('parent')[0].run_id);
    const kid = parent.tasks.find((t) => t.id === 'kid')!;
    // The child ran its own retries (none here): running it again would give the same.
    expect(kid).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'RUN_CHILD_FAILED' } });
    expect(kid.error!.message).toBe(`child run ${kid.child_run} (child.yaml) failed: 1 task failed: migrate (migrate: disk full on /var)`);
    expect(r.stdout).toContain('disk full on /var');
    // retry_on asks for it: attempt 2 retried the same child's failed task, no new child.
    const asked = parent.tasks.find((t) => t.id === 'asked')!;
    expect(asked).toMatchObject({ status: 'failed', attempts: 2, error: { code: 'RUN_CHILD_FAILED' } });
    expect(p.runs('child').map((c) => c.run_id).sort()).toEqual([kid.child_run, asked.child_run].sort());
    expect(p.status(asked.child_run!).tasks[0].attempts).toBe(2);
    expect(p.status(kid.child_run!).tasks[0].attempts).toBe(1);
  });

  it('a child file that is not there, or not valid: nothing runs, the errors say where', () => {
    const p = project({ 'parent.yaml': 'name: parent\ntasks:\n  - id: kid\n    workflow: deploy.yaml\n', 'other.yaml': 'name: other\ntasks:\n  - id: kid\n    workflow: broken.yaml\n', 'broken.yaml': 'name: broken\ntasks:\n  - id: x\n    type: nope\n' });
    const r = p.run(['run', 'parent.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`parent.yaml:4:15: error SPEC_WORKFLOW_NOT_FOUND: task kid runs deploy.yaml: there is no such file (${path.join(p.dir, 'deploy.yaml')})`);
    expect(r.stderr).toContain('nothing ran');
    const v = p.run(['validate', 'other.yaml']);
    expect(v.status).toBe(1);
    expect(v.stdout).toContain('other.yaml:4:15: error SPEC_WORKFLOW_INVALID: task kid runs broken.yaml, which is not a valid workflow: 1 problem, listed with its path');
    expect(v.stdout).toMatch(/^broken\.yaml:4:11: error SPEC_UNKNOWN_TYPE/m);
    expect(p.runs('parent')).toEqual([]);
  });
});
