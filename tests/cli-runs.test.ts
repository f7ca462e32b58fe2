/**
 * `baton history`, `status` and `logs` on the built CLI, reading a real SQLite store whose
 * runs were recorded by the engine in this process.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';
import { dbIn, recordInterruptedRun, recordOldRun, recordRun } from './runs-fixture.js';

const HELLO = `name: hello
tasks:
  - id: greet
    command: echo "hello from greet"
  - id: report
    depends_on: [greet]
    command: echo "got \${ tasks.greet.outputs.stdout }"
`;

const DEPLOY = `name: deploy
tasks:
  - id: build
    command: printf 'compiling\\nlinking\\n'; echo 'deprecated flag' >&2
  - id: envs
    depends_on: [build]
    type: loop
    items: [qa, prod]
    stop_on_failure: false
    task:
      type: shell
      command: 'if [ "\${ item }" = prod ]; then echo "refused: prod.db:5432" >&2; exit 3; fi; echo "deployed \${ item }"'
  - id: report
    depends_on: [envs]
    command: echo never
`;

const SLOW_LINES = `name: paced
tasks:
  - id: paced
    command: echo first; sleep 0.3; echo second
`;

let db: string;
const ids = { hello1: '', hello2: '', deploy: '', interrupted: '', old: '', paced: '' };
const cli = (...args: string[]) => baton([...args, '--store', db]);

beforeAll(async () => {
  db = dbIn(tempDir());
  ids.old = await recordOldRun(db, 3);
  ids.hello1 = await recordRun(db, HELLO);
  ids.deploy = await recordRun(db, DEPLOY);
  ids.paced = await recordRun(db, SLOW_LINES);
  ids.hello2 = await recordRun(db, HELLO);
  ids.interrupted = await recordInterruptedRun(db);
});

describe('baton history', () => {
  it('lists runs most recent first with their display status, duration and task counts', () => {
    const r = cli('history');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN +WORKFLOW +STATUS +STARTED +DURATION +TASKS$/);
    const order = lines.slice(1).map((l) => l.split(/\s+/)[0]);
    expect(order).toEqual([ids.interrupted, ids.hello2, ids.paced, ids.deploy, ids.hello1, ids.old]);
    expect(lines[1]).toMatch(/ nightly +interrupted +just now /);
    expect(lines[4]).toMatch(/ deploy +failed +(just now|\d+s ago) +\S+ +2 ok, 2 failed, 1 skipped$/);
    expect(lines[6]).toMatch(/ archive +succeeded +3d ago +6ms +1 ok$/);
  });

  it('the runs alias, and filters: --workflow, --status (interrupted too), --since, --limit', () => {
    const idsOf = (...args: string[]) => {
      const r = cli('runs', ...args, '--json');
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as Array<{ run_id: string }>).map((run) => run.run_id);
    };
    expect(idsOf('--workflow', 'hello')).toEqual([ids.hello2, ids.hello1]);
    expect(idsOf('--status', 'failed')).toEqual([ids.deploy]);
    expect(idsOf('--status', 'interrupted')).toEqual([ids.interrupted]);
    expect(idsOf('--status', 'running')).toEqual([]);
    expect(idsOf('--status', 'succeeded', '--workflow', 'hello', '--limit', '1')).toEqual([ids.hello2]);
    expect(idsOf('--since', '1d')).not.toContain(ids.old);
    expect(idsOf('--since', '1d')).toHaveLength(5);
    expect(idsOf('--since', new Date(Date.now() - 4 * 86_400_000).toISOString().slice(0, 10))).toContain(ids.old);
    expect(idsOf('--limit', '2')).toEqual([ids.interrupted, ids.hello2]);
  });

  it('--limit says when there may be more; an empty result says so', () => {
    expect(cli('history', '--limit', '2').stdout).toContain('The 2 most recent; --limit N shows more.');
    expect(cli('history', '--workflow', 'nope').stdout).toBe('No runs match.\n');
    // These runs were started by hand: no trigger fired them.
    expect(cli('history', '--trigger', 'schedule').stdout).toBe('No runs match.\n');
    expect(JSON.parse(cli('history', '--trigger', 'manual', '--json').stdout).length).toBe(JSON.parse(cli('history', '--json').stdout).length);
    expect(cli('history', '--trigger', 'cron').stderr).toMatch(/argument 'cron' is invalid/);
  });

  it('--json: stable field names', () => {
    const runs = JSON.parse(cli('history', '--json').stdout);
    const deploy = runs.find((run: { run_id: string }) => run.run_id === ids.deploy);
    expect(Object.keys(deploy)).toEqual(['run_id', 'workflow', 'status', 'created_at', 'ended_at', 'duration_ms', 'counts']);
    expect(deploy).toMatchObject({
      workflow: { name: 'deploy' },
      status: 'failed',
      counts: { total: 5, succeeded: 2, failed: 2, skipped: 1, cancelled: 0, pending: 0, ready: 0, running: 0, retrying: 0 },
    });
    expect(new Date(deploy.created_at).toISOString()).toBe(deploy.created_at);
    expect(runs.find((run: { run_id: string }) => run.run_id === ids.interrupted)).toMatchObject({ status: 'interrupted', counts: { running: 1 } });
  });

  it('bad filters are errors', () => {
    const r = cli('history', '--status', 'broken');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/argument 'broken' is invalid. Allowed choices are running, pending, queued, waiting, interrupted/);
    expect(cli('history', '--since', 'lately').stderr).toMatch(/^baton: --since "lately" is neither a duration .* \[CLI_BAD_SINCE\]\n$/);
    expect(cli('history', '--limit', '0').status).toBe(2);
  });
});

describe('baton status', () => {
  it('a succeeded run: head, tasks with outputs, exit 0', () => {
    const r = cli('status', ids.hello1);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Run ${ids.hello1}  hello\n`));
    expect(r.stdout).toMatch(/^ {2}status +succeeded$/m);
    expect(r.stdout).toMatch(/^ {2}file +flow\.yaml$/m);
    expect(r.stdout).toMatch(/^ {2}greet +succeeded +1 +\S+ +0 +stdout=hello from greet$/m);
    expect(r.stdout).toMatch(/^ {2}report +succeeded +1 +\S+ +0 +stdout=got hello from greet$/m);
    expect(r.stdout).toContain('2 tasks: 2 succeeded');
    expect(r.stdout).not.toContain('baton retry');
  });

  it('a failed run: loop iterations nested, exit code, error, stderr tail, and what to do next', () => {
    const r = cli('status', ids.deploy);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ {2}status +failed$/m);
    expect(r.stdout).toMatch(/^ {2}error +.*\[RUN_TASKS_FAILED\]$/m);
    expect(r.stdout).toMatch(/^ {2}envs +failed/m);
    expect(r.stdout).toMatch(/^ {4}envs\[qa\] +succeeded +1 +\S+ +0 +stdout=deployed qa$/m);
    expect(r.stdout).toMatch(/^ {4}envs\[prod\] +failed +1 +\S+ +3 +command exited with code 3 \[EXEC_EXIT_CODE\]$/m);
    expect(r.stdout).toMatch(/^ {2}report +skipped +- +- +\S.*$/m);
    expect(r.stdout).toContain('✖ envs[prod]: command exited with code 3 [EXEC_EXIT_CODE]; not retried: no retry configured\n    │ refused: prod.db:5432');
    expect(r.stdout).toContain(`baton retry ${ids.deploy}`);
    expect(r.stdout).toContain(`baton logs ${ids.deploy} 'envs[prod]'`);
  });

  it('an interrupted run says so, and how to go on', () => {
    const r = cli('status', ids.interrupted);
    expect(r.stdout).toMatch(/^ {2}status +interrupted$/m);
    expect(r.stdout).toMatch(/^ {2}sync +running +1 /m);
    expect(r.stdout).toContain(`The process running it is gone: baton resume ${ids.interrupted}`);
    expect(r.stdout).not.toMatch(/^ {2}owner/m);
  });

  it('--json: the run and its tasks in tree order', () => {
    const view = JSON.parse(cli('status', ids.deploy, '--json').stdout);
    expect(view).toMatchObject({ run_id: ids.deploy, workflow: { name: 'deploy' }, status: 'failed', file: 'flow.yaml', error: { code: 'RUN_TASKS_FAILED' } });
    expect(view.tasks.map((t: { id: string; parent?: string }) => [t.id, t.parent ?? null])).toEqual([
      ['build', null],
      ['envs', null],
      ['envs[qa]', 'envs'],
      ['envs[prod]', 'envs'],
      ['report', null],
    ]);
    expect(view.tasks[3]).toMatchObject({ status: 'failed', attempts: 1, exit_code: 3, type: 'shell', error: { code: 'EXEC_EXIT_CODE', stderr_tail: 'refused: prod.db:5432' } });
    expect(view.tasks[0].outputs.stdout).toBe('compiling\nlinking');
  });

  it('run ids: any unique prefix, in any case; an ambiguous or unknown one is one clear line, exit 2', () => {
    expect(cli('status', ids.hello1.slice(0, 22).toLowerCase()).stdout).toContain(`Run ${ids.hello1}`);
    // Runs made in the same second share their first characters.
    let common = 0;
    while (ids.hello1[common] === ids.hello2[common]) common++;
    const ambiguous = cli('status', ids.hello1.slice(0, common));
    expect(ambiguous.status).toBe(2);
    expect(ambiguous.stdout).toBe('');
    expect(ambiguous.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(ambiguous.stderr).toMatch(/\[STORE_RUN_AMBIGUOUS\]$/m);
    expect(ambiguous.stderr).toContain(ids.hello2);
    const unknown = cli('status', 'ZZZZ');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^baton: .*ZZZZ.*\[STORE_RUN_NOT_FOUND\]\n$/);
  });
});

describe('baton logs', () => {
  it("the run's output in time order, each line with its task and stream", () => {
    const r = cli('logs', ids.deploy);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'build      | compiling',
      'build      | linking',
      'build      ! deprecated flag',
      'envs[qa]   | deployed qa',
      'envs[prod] ! refused: prod.db:5432',
    ]);
  });

  it('one task, as it was written; --tail', () => {
    expect(cli('logs', ids.deploy, 'build').stdout).toBe('compiling\nlinking\ndeprecated flag\n');
    expect(cli('logs', ids.deploy, 'envs[prod]').stdout).toBe('refused: prod.db:5432\n');
    expect(cli('logs', ids.deploy, 'build', '--tail', '1').stdout).toBe('deprecated flag\n');
    expect(cli('logs', ids.deploy, '--tail', '2').stdout).toBe('envs[qa]   | deployed qa\nenvs[prod] ! refused: prod.db:5432\n');
  });

  it('--json gives LogLines; --since keeps what was written from then on', () => {
    const lines = cli('logs', ids.paced, '--json')
      .stdout.trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { task: 'paced', attempt: 1, stream: 'stdout', at: expect.any(Number), text: 'first' },
      { task: 'paced', attempt: 1, stream: 'stdout', at: expect.any(Number), text: 'second' },
    ]);
    expect(lines[1].at - lines[0].at).toBeGreaterThanOrEqual(250);
    const since = new Date(lines[1].at).toISOString();
    expect(cli('logs', ids.paced, 'paced', '--since', since).stdout).toBe('second\n');
    expect(cli('logs', ids.paced, '--since', '1h').stdout).toBe('paced | first\npaced | second\n');
  });

  it('a task the run does not have: an error with a did-you-mean', () => {
    const r = cli('logs', ids.deploy, 'biuld');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/has no task 'biuld' \(did you mean 'build'\?\).*\[CLI_TASK_NOT_FOUND\]/);
  });
});
