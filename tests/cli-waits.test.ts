/**
 * Durable waits in workflow files (approval and wait tasks, on_failure: pause) end to end:
 * real `baton` processes over a SQLite file, killed with SIGKILL, resumed, answered by
 * `baton approve`, `baton emit` and `baton resolve`. Times are read from the recorded events.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

const ME = userInfo().username;

interface Event {
  type: string;
  task?: string;
  at: number;
  [field: string]: unknown;
}

interface TaskView {
  id: string;
  status: string;
  attempts: number;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string; not_retried?: string };
}

function project(yaml: string) {
  const dir = tempDir('baton-waits-');
  const file = path.join(dir, 'flow.yaml');
  writeFileSync(file, yaml);
  const store = ['--store', path.join(dir, 'baton.db')];
  const run = (args: string[]) => baton([...args, ...store], { cwd: dir });
  const start = (args: string[]) => batonAsync([...args, ...store], { cwd: dir });
  const lastRun = (): string => JSON.parse(run(['history', '--json']).stdout)[0].run_id;
  const status = (id: string) => JSON.parse(run(['status', id, '--json']).stdout) as { status: string; tasks: TaskView[] };
  const task = (id: string, key: string) => status(id).tasks.find((t) => t.id === key)!;
  const events = (id: string): Event[] => run(['export', id]).stdout.trim().split('\n').slice(1).map((line) => JSON.parse(line) as Event);
  const lines = (name: string) => (existsSync(path.join(dir, name)) ? readFileSync(path.join(dir, name), 'utf8').split('\n').filter((l) => l !== '') : []);
  return { dir, file, run, start, lastRun, status, task, events, lines };
}

const ofType = (events: Event[], type: string) => events.filter((e) => e.type === type);

/**
 * An approval opened while another task still runs (so the process holds the run when it is
 * killed), then `ship`. The slow task sleeps on its first attempt only.
 */
const RELEASE = (approval: string) => `name: release
tasks:
  - id: build
    command: echo built >> ran.log
  - id: slow
    command: 'if [ -f slow.done ]; then echo again >> ran.log; else touch slow.done; sleep 30; fi'
  - id: go
    type: approval
    depends_on: [build]
    prompt: "ship \${{ tasks.build.exit_code }}?"
${approval}
  - id: ship
    depends_on: [go, slow]
    command: echo "ship by \${{ tasks.go.outputs.by }}" >> ran.log
  - id: report
    condition: always()
    depends_on: [go]
    command: echo "report \${{ tasks.go.status }}" >> ran.log
`;

/** Starts RELEASE, waits for the approval to open while `slow` runs, and kills the process with SIGKILL. */
async function killedWhileWaiting(approval: string) {
  const p = project(RELEASE(approval));
  const first = p.start(['run', 'flow.yaml', '--view', 'plain']);
  await until(() => first.output().includes('go waits for approval') && existsSync(path.join(p.dir, 'slow.done')), 20_000, 'the approval to open');
  first.child.kill('SIGKILL');
  await first.done;
  const id = p.lastRun();
  expect(p.task(id, 'go').status).toBe('waiting');
  return { p, id };
}

describe('approval tasks across a kill -9', () => {
  it('granted: baton approve continues the run nobody drives; the approval succeeds with who approved and when', async () => {
    const { p, id } = await killedWhileWaiting(`    approvers: [${ME}]\n    timeout: 1h`);
    // What it waits for, and the command that answers it.
    const shown = p.run(['status', id]).stdout;
    expect(shown).toContain('waits for approval: ship 0?');
    expect(shown).toContain(`go waits for approval: ship 0? (\`baton approve ${id} go\`, or --reject; approvers: ${ME}, times out at `);
    const approved = p.run(['approve', id, 'go', '--comment', 'lgtm', '--view', 'none']);
    expect(approved.status, approved.stdout + approved.stderr).toBe(0);
    expect(approved.stderr).toContain(`approved go of run ${id}; going on with the run`);
    const go = p.task(id, 'go');
    expect(go).toMatchObject({ status: 'succeeded', outputs: { approved: true, comment: 'lgtm' } });
    expect(String(go.outputs!.by)).toMatch(new RegExp(`^${ME}@`));
    const answeredAt = ofType(p.events(id), 'WaitAnswered')[0].at;
    expect(go.outputs!.at).toBe(new Date(answeredAt).toISOString());
    expect(p.status(id).status).toBe('succeeded');
    // The slow task was interrupted by the kill and ran again; build ran once.
    // build ran once; slow, interrupted by the kill, ran again; ship after both.
    expect([...p.lines('ran.log')].sort()).toEqual(['again', 'built', 'report succeeded', `ship by ${go.outputs!.by}`]);
    // Answered once: a second answer finds nothing open.
    const again = p.run(['approve', id, 'go']);
    expect(again.status).not.toBe(0);
  }, 60_000);

  it('rejected: the approval fails with APPROVAL_REJECTED, an always() task after it still runs, and the run fails', async () => {
    const { p, id } = await killedWhileWaiting(`    approvers: [role:approver]\n    timeout: 1h`);
    const rejected = p.run(['approve', id, '--reject', '--comment', 'not today', '--view', 'none']);
    expect(rejected.status, rejected.stdout + rejected.stderr).toBe(1);
    const go = p.task(id, 'go');
    expect(go.status).toBe('failed');
    expect(go.error!.code).toBe('APPROVAL_REJECTED');
    expect(go.error!.message).toMatch(new RegExp(`^rejected by ${ME}@.*: not today$`));
    expect(p.task(id, 'ship').status).toBe('skipped');
    expect(p.lines('ran.log')).toContain('report failed');
    expect(p.status(id).status).toBe('failed');
  }, 60_000);

  it('timed out: resumed after its timeout, it fails with APPROVAL_TIMEOUT at the time set, not the time noticed', async () => {
    const { p, id } = await killedWhileWaiting(`    approvers: [${ME}]\n    timeout: 2s`);
    const opened = p.events(id).find((e) => e.type === 'TaskStarted' && e.task === 'go')!;
    const due = (opened.step as { timeout_at: number }).timeout_at;
    // Set when it opened: 2 s from then (the event is stamped a moment after the time is read).
    expect(due - opened.at).toBeGreaterThan(1900);
    expect(due - opened.at).toBeLessThanOrEqual(2000);
    await until(() => Date.now() > due + 300, 5_000, 'the timeout to pass');
    // An answer after the timeout records nothing.
    const late = p.run(['approve', id, 'go', '--view', 'none']);
    expect(late.stderr).toContain('timed out before this answer');
    expect(ofType(p.events(id), 'WaitAnswered')).toHaveLength(0);
    const go = p.task(id, 'go');
    expect(go.status).toBe('failed');
    expect(go.error!.code).toBe('APPROVAL_TIMEOUT');
    expect(go.error!.message).toContain(new Date(due).toISOString());
    expect(p.status(id).status).toBe('failed');
  }, 60_000);

  it('timed out with on_timeout: approve: it succeeds, timed_out', async () => {
    const p = project(`name: lenient\ntasks:\n  - id: go\n    type: approval\n    approvers: [nobody-here]\n    timeout: 1s\n    on_timeout: approve\n  - id: after\n    depends_on: [go]\n    command: echo "timed out \${{ tasks.go.outputs.timed_out }}" >> ran.log\n`);
    const first = p.run(['run', 'flow.yaml', '--view', 'none']);
    expect(first.status, first.stdout + first.stderr).toBe(4);
    const id = p.lastRun();
    await new Promise((r) => setTimeout(r, 1300));
    const resumed = p.run(['resume', id, '--view', 'none']);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(p.task(id, 'go').outputs).toMatchObject({ approved: true, timed_out: true });
    expect(p.lines('ran.log')).toEqual(['timed out true']);
  }, 30_000);

  it('an answer from someone the approvers do not name is refused, and nothing is recorded', () => {
    const p = project(`name: gated\ntasks:\n  - id: go\n    type: approval\n    approvers: [somebody-else]\n`);
    const first = p.run(['run', 'flow.yaml', '--view', 'none']);
    expect(first.status).toBe(4);
    const id = p.lastRun();
    const refused = p.run(['approve', id]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`approval go of run ${id} may be answered only by somebody-else; this answer came from ${ME}`);
    expect(refused.stderr).toContain('APPROVAL_NOT_APPROVER');
    expect(ofType(p.events(id), 'WaitAnswered')).toHaveLength(0);
    expect(p.status(id).status).toBe('waiting');
  });

  it('answered while its process still drives the run: that process takes the answer up and ends the run', async () => {
    const p = project(`name: live\ntasks:\n  - id: go\n    type: approval\n    approvers: [${ME}]\n  - id: nap\n    type: wait\n    duration: 4s\n  - id: after\n    depends_on: [go, nap]\n    command: echo "after \${{ tasks.go.outputs.approved }}" >> ran.log\n`);
    const first = p.start(['run', 'flow.yaml', '--view', 'plain']);
    await until(() => first.output().includes('waiting: go (approval), nap (sleep)'), 20_000, 'the run to wait');
    const id = p.lastRun();
    const approved = p.run(['approve', id, '--view', 'none']);
    expect(approved.status, approved.stderr).toBe(0);
    expect(approved.stderr).toMatch(/drives the run and goes on with it/);
    const done = await first.done;
    expect(done.status, done.stdout + done.stderr).toBe(0);
    expect(p.lines('ran.log')).toEqual(['after true']);
    // The answer was recorded by one process; the run was driven by the other throughout.
    expect(ofType(p.events(id), 'RunResumed')).toHaveLength(0);
  }, 30_000);
});

describe('approval notify', () => {
  it('tells the webhook once, when the approval opens: the prompt and how to answer; a webhook that fails is logged, and the approval waits all the same', async () => {
    const got: Array<{ path: string; delivery: string; body: Record<string, unknown> }> = [];
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        got.push({ path: req.url ?? '', delivery: String(req.headers['x-baton-delivery']), body: JSON.parse(text) as Record<string, unknown> });
        res.statusCode = req.url === '/broken' ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const p = project(`name: told
tasks:
  - id: go
    type: approval
    prompt: "deploy \${{ run.id }}?"
    approvers: [alice, role:approver]
    timeout: 1h
    notify: {url: "http://127.0.0.1:${port}/hook"}
  - id: other
    type: approval
    approvers: [alice]
    notify: {url: "http://127.0.0.1:${port}/broken"}
`);
      const first = p.start(['run', 'flow.yaml', '--view', 'none']);
      const done = await first.done;
      expect(done.status, first.output()).toBe(4);
      const id = p.lastRun();
      const hook = got.filter((g) => g.path === '/hook');
      expect(hook).toHaveLength(1);
      expect(hook[0].delivery).toBe(`${id}/go`);
      expect(hook[0].body).toMatchObject({ run_id: id, workflow: 'told', task: 'go', attempt: 1 });
      expect(String(hook[0].body.text)).toMatch(new RegExp(`^deploy ${id}\\?\nAnswer: baton approve ${id} go \\(or --reject\\); approvers: alice, role:approver; times out at \\d{4}-`));
      expect(p.run(['logs', id, 'go']).stdout).toContain('notified the webhook that go waits for approval (HTTP 204)');
      expect(got.filter((g) => g.path === '/broken').length).toBeGreaterThanOrEqual(1);
      expect(p.run(['logs', id, 'other']).stdout + p.run(['logs', id, 'other']).stderr).toContain('could not notify the webhook that other waits for approval');
      expect(p.task(id, 'other').status).toBe('waiting');
      // Picked up again, an open approval is not announced again.
      const before = got.length;
      const resumed = p.run(['resume', id, '--view', 'none']);
      expect(resumed.status).toBe(4);
      expect(got.length).toBe(before);
    } finally {
      server.close();
    }
  }, 30_000);
});

describe('wait tasks', () => {
  const EVENT = `name: order
inputs:
  order: {type: string}
tasks:
  - id: paid
    type: wait
    event: payment.received
    filter: event.data.order == inputs.order
    timeout: 1h
  - id: ship
    depends_on: [paid]
    command: echo "ship \${{ tasks.paid.outputs.data.order }} for \${{ tasks.paid.outputs.data.amount }}" >> ran.log
`;

  it('for an event: one its filter refuses does not continue it; one it takes does, with the data as outputs', () => {
    const p = project(EVENT);
    const first = p.run(['run', 'flow.yaml', '--input', 'order=A-1', '--view', 'none']);
    expect(first.status, first.stdout + first.stderr).toBe(4);
    expect(first.stdout).toContain('waits for event payment.received for which event.data.order == inputs.order');
    const id = p.lastRun();
    const other = p.run(['emit', 'payment.received', '--data', '{"order": "B-2", "amount": 5}', '--view', 'none']);
    expect(other.status).toBe(0);
    expect(ofType(p.events(id), 'WaitAnswered')).toHaveLength(0);
    expect(p.status(id).status).toBe('waiting');
    const mine = p.run(['emit', 'payment.received', '--data', '{"order": "A-1", "amount": 7}', '--view', 'none']);
    expect(mine.status, mine.stdout + mine.stderr).toBe(0);
    expect(p.task(id, 'paid').outputs).toEqual({ event: 'payment.received', data: { order: 'A-1', amount: 7 } });
    expect(p.lines('ran.log')).toEqual(['ship A-1 for 7']);
    expect(p.status(id).status).toBe('succeeded');
  });

  it('for an event, timed out: EVENT_TIMEOUT, a fallback takes over', async () => {
    const p = project(`name: poll\ntasks:\n  - id: hook\n    type: wait\n    event: ready\n    timeout: 1s\n    fallback:\n      command: echo polled >> ran.log\n  - id: after\n    depends_on: [hook]\n    command: echo after >> ran.log\n`);
    expect(p.run(['run', 'flow.yaml', '--view', 'none']).status).toBe(4);
    const id = p.lastRun();
    await new Promise((r) => setTimeout(r, 1300));
    const resumed = p.run(['resume', id, '--view', 'none']);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    const failed = ofType(p.events(id), 'TaskFailed')[0] as Event & { error: { code: string; not_retried: string } };
    expect(failed.error.code).toBe('EVENT_TIMEOUT');
    expect(failed.error.not_retried).toContain('its fallback runs');
    expect(p.lines('ran.log')).toEqual(['polled', 'after']);
  }, 30_000);

  it('until a time, across a kill -9: the resumed run wakes at the recorded time, not later', async () => {
    const at = new Date(Date.now() + 3000).toISOString();
    const p = project(`name: later\ninputs:\n  at: {type: string}\ntasks:\n  - id: hold\n    type: wait\n    until: "\${{ inputs.at }}"\n  - id: after\n    depends_on: [hold]\n    command: echo after >> ran.log\n`);
    const first = p.start(['run', 'flow.yaml', '--input', `at=${at}`, '--view', 'plain']);
    await until(() => first.output().includes('hold sleeps until'), 20_000, 'the wait to start');
    first.child.kill('SIGKILL');
    await first.done;
    const id = p.lastRun();
    const step = p.events(id).find((e) => e.type === 'TaskStarted' && e.task === 'hold')!.step as { kind: string; until: number };
    expect(step).toEqual({ kind: 'sleep', until: Date.parse(at) });
    const resumed = p.run(['resume', id, '--view', 'none']);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    const woke = p.events(id).find((e) => e.type === 'TaskSucceeded' && e.task === 'hold')!;
    expect(woke.at).toBeGreaterThanOrEqual(Date.parse(at));
    expect(woke.at - Date.parse(at)).toBeLessThan(1000);
    expect(woke.outputs).toEqual({ until: at });
    expect(p.lines('ran.log')).toEqual(['after']);
  }, 30_000);
});

describe('on_failure: pause', () => {
  const FLAKY = `name: flaky
tasks:
  - id: check
    command: 'test -f fixed || { echo "not fixed yet" >&2; exit 3; }'
    retry: {attempts: 2, delay: 10ms}
    on_failure: pause
  - id: after
    depends_on: [check]
    command: echo after >> ran.log
`;

  function paused() {
    const p = project(FLAKY);
    const first = p.run(['run', 'flow.yaml', '--view', 'plain']);
    expect(first.status, first.stdout + first.stderr).toBe(4);
    const id = p.lastRun();
    expect(first.stdout).toContain(`check paused after failing: command exited with code 3 [EXEC_EXIT_CODE] (\`baton resolve ${id} check --retry\`, --skip or --abort)`);
    expect(p.task(id, 'check')).toMatchObject({ status: 'waiting', attempts: 2 });
    expect(p.run(['status', id]).stdout).toContain(`baton resolve ${id} check --retry`);
    return { p, id };
  }

  it('retry: runs it again as a new attempt with its whole retry policy', () => {
    const { p, id } = paused();
    writeFileSync(path.join(p.dir, 'fixed'), '');
    const retried = p.run(['resolve', id, 'check', '--retry', '--view', 'none']);
    expect(retried.status, retried.stdout + retried.stderr).toBe(0);
    expect(p.task(id, 'check')).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(p.lines('ran.log')).toEqual(['after']);
    expect(p.status(id).status).toBe('succeeded');
  });

  it('retry while it still fails: it pauses again after its retries, and abort then fails it as it would have', () => {
    const { p, id } = paused();
    const retried = p.run(['resolve', id, '--retry', '--view', 'none']);
    expect(retried.status).toBe(4);
    // Its whole policy again: two more attempts.
    expect(p.task(id, 'check')).toMatchObject({ status: 'waiting', attempts: 4 });
    const aborted = p.run(['resolve', id, '--abort', '--comment', 'giving up', '--view', 'none']);
    expect(aborted.status, aborted.stdout + aborted.stderr).toBe(1);
    const check = p.task(id, 'check');
    expect(check.status).toBe('failed');
    expect(check.error!.code).toBe('EXEC_EXIT_CODE');
    expect(check.error!.not_retried).toMatch(new RegExp(`^aborted by ${ME}@.* \\(giving up\\)$`));
    expect(p.task(id, 'after').status).toBe('skipped');
    expect(p.status(id).status).toBe('failed');
  });

  it('skip: the task is skipped, its dependants as after any skipped task, and the run does not fail', () => {
    const { p, id } = paused();
    const skipped = p.run(['resolve', id, 'check', '--skip', '--view', 'none']);
    expect(skipped.status, skipped.stdout + skipped.stderr).toBe(0);
    expect(p.task(id, 'check').status).toBe('skipped');
    expect(p.task(id, 'after').status).toBe('skipped');
    expect(p.lines('ran.log')).toEqual([]);
    expect(p.status(id).status).toBe('succeeded');
  });

  it('resolve of a task that is not paused, or with no decision, is refused', () => {
    const { p, id } = paused();
    const none = p.run(['resolve', id, 'check']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--retry, --skip or --abort');
    const other = p.run(['resolve', id, 'after', '--skip']);
    expect(other.status).toBe(2);
    expect(other.stderr).toContain(`run ${id} has no paused task after open: it waits for: check (paused: baton resolve ${id} check)`);
    // And an approval is answered with baton approve, not resolve.
    expect(p.run(['approve', id]).stderr).toContain('WAIT_NOT_FOUND');
  });
});

describe('validation', () => {
  it('an approval with no approvers is refused at file:line:col', () => {
    const p = project(`name: bad\ntasks:\n  - id: go\n    type: approval\n    approvers: []\n  - id: w\n    type: wait\n    event: x\n    filter: env.SECRET == 'a'\n`);
    const result = baton(['validate', 'flow.yaml'], { cwd: p.dir });
    expect(result.status).toBe(1);
    const out = result.stdout + result.stderr;
    expect(out).toContain('flow.yaml:5:16');
    expect(out).toContain('an approval with no approvers could never be answered');
    expect(out).toContain('flow.yaml:9:13');
    expect(out).toContain("a wait's filter can read `event` and the run's inputs and tasks, not `env`");
  });
});
