import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, baton, batonAsync, tempDir, until } from './helpers.js';

/**
 * TypeScript workflows end to end: real `baton` processes over a SQLite file, killed with
 * SIGKILL, interrupted with Ctrl-C, resumed, approved and sent events. Each workflow lives
 * in a temp folder with no node_modules (`import { workflow } from 'baton'` must resolve to
 * the running baton) and finds its marker files beside itself through import.meta.url, so
 * the test never writes its own paths into the code.
 */

interface StoredEvent {
  type: string;
  task?: string;
  at: number;
  seq: number;
  [field: string]: unknown;
}

/** A folder holding `flow.ts` and the run store every command of the test uses. */
function project(code: string) {
  const dir = tempDir('baton-code-');
  const file = path.join(dir, 'flow.ts');
  writeFileSync(file, code);
  const store = ['--store', path.join(dir, 'baton.db')];
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => baton([...args, ...store], { cwd: dir, env });
  const start = (args: string[], env: NodeJS.ProcessEnv = {}) => batonAsync([...args, ...store], { cwd: dir, env });
  const lines = (name = 'marker') => {
    const marker = path.join(dir, name);
    return existsSync(marker) ? readFileSync(marker, 'utf8').split('\n').filter((line) => line !== '') : [];
  };
  const lastRun = (): string => JSON.parse(run(['history', '--json']).stdout)[0].run_id;
  /** The run's recorded events, as `baton export` writes them (a header line, then one event a line). */
  const events = (id: string): StoredEvent[] => {
    const exported = run(['export', id]);
    expect(exported.status, exported.stderr).toBe(0);
    return exported.stdout.trim().split('\n').slice(1).map((line) => JSON.parse(line) as StoredEvent);
  };
  const status = (id: string) => JSON.parse(run(['status', id, '--json']).stdout) as { status: string; tasks: Array<{ id: string; status: string; attempts: number; error?: { code: string; message: string } }> };
  return { dir, file, run, start, lines, lastRun, events, status };
}

const succeeded = (events: StoredEvent[]) => events.filter((e) => e.type === 'TaskSucceeded').map((e) => e.task!);
const count = (list: string[], value: string) => list.filter((item) => item === value).length;
const ofType = (events: StoredEvent[], type: string) => events.filter((e) => e.type === type);

describe('TypeScript workflows: kill -9 and resume', () => {
  it('ctx.map over 200 items killed mid-way: every side effect happens, none recorded as done happens twice', async () => {
    const p = project(`import { workflow } from 'baton';
import { appendFileSync } from 'node:fs';

export default workflow({ name: 'renew-all' }, async (ctx) => {
  const hosts = Array.from({ length: 200 }, (_, i) => 'host' + i);
  const renewed = await ctx.map('renew', hosts, { concurrency: 10 }, async (host) => {
    appendFileSync(new URL('marker', import.meta.url), host + '\\n');
    await new Promise((resolve) => setTimeout(resolve, 10 + Math.floor(Math.random() * 10)));
    return host.toUpperCase();
  });
  return ctx.summary('renewed ' + renewed.length + ', first ' + renewed[0] + ', last ' + renewed[199]);
});
`);
    const first = p.start(['run', 'flow.ts', '--view', 'none']);
    await until(() => p.lines().length >= 60, 20_000, 'sixty items to start');
    first.child.kill('SIGKILL');
    await first.done;
    const id = p.lastRun();
    expect(p.status(id).status).toBe('interrupted');

    // What the store holds as done before the resume: those items must not run again.
    const doneBefore = new Set(succeeded(p.events(id)).filter((key) => key.startsWith('renew[')));
    expect(doneBefore.size).toBeGreaterThan(0);
    expect(doneBefore.size).toBeLessThan(200);
    const ranBefore = new Set(p.lines());

    const resumed = p.run(['resume', id, '--view', 'none']);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);

    const ran = p.lines();
    const hosts = Array.from({ length: 200 }, (_, i) => `host${i}`);
    for (const host of hosts) expect(count(ran, host), host).toBeGreaterThanOrEqual(1);
    const twice = hosts.filter((host) => count(ran, host) > 1);
    for (const host of twice) {
      expect(doneBefore.has(`renew[${host}]`), `${host} was recorded as done, yet ran again`).toBe(false);
      // Only what was running at the kill runs again: at most the map's concurrency.
      expect(ranBefore.has(host), `${host} ran twice but had not started before the kill`).toBe(true);
      expect(count(ran, host)).toBe(2);
    }
    expect(twice.length).toBeLessThanOrEqual(10);

    // One recorded result per item, and the replayed results reach the code in the items' order.
    const after = p.events(id);
    const results = succeeded(after);
    for (const host of hosts) expect(count(results, `renew[${host}]`), host).toBe(1);
    expect(ofType(after, 'RunSucceeded')).toEqual([expect.objectContaining({ summary: 'renewed 200, first HOST0, last HOST199' })]);
  }, 60_000);

  it('ctx.sleep across a kill: the run is waiting, not interrupted, and wakes at the time first set', async () => {
    const p = project(`import { workflow } from 'baton';

export default workflow({ name: 'napper' }, async (ctx) => {
  await ctx.step('before', () => 'ready');
  await ctx.sleep('nap', '3s');
  return ctx.summary(await ctx.step('after', () => 'woke'));
});
`);
    const first = p.start(['run', 'flow.ts', '--view', 'plain']);
    await until(() => first.output().includes('nap sleeps until'), 20_000, 'the sleep to start');
    first.child.kill('SIGKILL');
    await first.done;
    const id = p.lastRun();

    const view = p.status(id);
    expect(view.status).toBe('waiting');
    expect(view.tasks.find((t) => t.id === 'nap')?.status).toBe('waiting');
    // What it waits for, in the human view.
    expect(p.run(['status', id]).stdout).toMatch(/nap\b.*sleeps until \d\d:\d\d:\d\d/);

    const before = p.events(id);
    const runStarted = ofType(before, 'RunStarted')[0].at;
    const napStarted = before.find((e) => e.type === 'TaskStarted' && e.task === 'nap')!;
    const until3s = (napStarted.step as { until: number }).until;
    expect(Math.abs(until3s - (napStarted.at + 3000))).toBeLessThan(100);
    // Resume well after the sleep began: had the resume started the 3 s over, the wake
    // would come at least 1.2 s late, beyond the tolerance below.
    await until(() => Date.now() >= napStarted.at + 1200, 5_000, 'time to pass');

    const resumed = p.run(['resume', id, '--view', 'none']);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    const after = p.events(id);
    const woke = after.find((e) => e.type === 'TaskSucceeded' && e.task === 'nap')!.at;
    expect(woke).toBeGreaterThanOrEqual(until3s);
    expect(woke - until3s).toBeLessThan(800);
    expect(woke - runStarted).toBeGreaterThanOrEqual(3000);
    expect(woke - runStarted).toBeLessThan(3800);
    expect(ofType(after, 'RunResumed')[0].at).toBeLessThan(until3s);
    const afterStep = after.find((e) => e.type === 'TaskSucceeded' && e.task === 'after')!;
    expect(afterStep.at).toBeGreaterThanOrEqual(woke);
    expect(ofType(after, 'RunSucceeded')).toEqual([expect.objectContaining({ summary: 'woke' })]);
  }, 30_000);

  it('a resumed run that asks for another step than its history has fails with RUN_NONDETERMINISTIC, once', async () => {
    // The step order comes from the environment, read outside any step: the mistake the
    // determinism check exists for.
    const p = project(`import { workflow } from 'baton';
import { appendFileSync } from 'node:fs';

export default workflow({ name: 'ordered' }, async (ctx) => {
  const order = (process.env.ORDER ?? '').split(',');
  for (const name of order) {
    await ctx.step(name, async () => {
      appendFileSync(new URL('marker', import.meta.url), name + '\\n');
      if (name === 'slow') await new Promise((resolve) => setTimeout(resolve, 30_000));
      return name;
    });
  }
  return ctx.summary(order.join(' then '));
});
`);
    const first = p.start(['run', 'flow.ts', '--view', 'plain'], { ORDER: 'fetch,slow,apply' });
    await until(() => first.output().includes('slow started') && p.lines().includes('slow'), 20_000, 'the slow step to start');
    first.child.kill('SIGKILL');
    await first.done;
    const id = p.lastRun();

    const resumed = p.run(['resume', id, '--view', 'none'], { ORDER: 'fetch,check,slow,apply' });
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(1);
    const output = resumed.stdout + resumed.stderr;
    expect(output).toContain('RUN_NONDETERMINISTIC');
    expect(output).toMatch(/step check\b.*step slow\b/s);
    expect(output).toContain(`baton retry ${id}`);
    // The step the history lacks never ran; the one it has was not run again either.
    expect(p.lines()).toEqual(['fetch', 'slow']);

    const events = p.events(id);
    const failed = ofType(events, 'RunFailed');
    expect(failed).toHaveLength(1);
    expect((failed[0].error as { code: string }).code).toBe('RUN_NONDETERMINISTIC');
    expect(p.status(id).status).toBe('failed');
  }, 30_000);

  it('a resume runs the code the run started with, and says the file changed', async () => {
    const p = project(`import { workflow } from 'baton';
import { appendFileSync, existsSync } from 'node:fs';

const mark = (line: string) => appendFileSync(new URL('marker', import.meta.url), line + '\\n');

export default workflow({ name: 'versioned' }, async (ctx) => {
  await ctx.step('first', () => mark('first v1'));
  await ctx.step('gate', async () => {
    mark('gate v1');
    while (!existsSync(new URL('go', import.meta.url))) await new Promise((resolve) => setTimeout(resolve, 20));
  });
  await ctx.step('last', () => mark('last v1'));
  return ctx.summary('ran v1');
});
`);
    const first = p.start(['run', 'flow.ts', '--view', 'none']);
    await until(() => p.lines().includes('gate v1'), 20_000, 'the gate step to start');
    first.child.kill('SIGKILL');
    await first.done;
    const id = p.lastRun();

    writeFileSync(p.file, readFileSync(p.file, 'utf8').replaceAll('v1', 'v2'));
    writeFileSync(path.join(p.dir, 'go'), '');
    const resumed = p.run(['resume', id, '--view', 'none']);
    expect(resumed.status, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`changed since run ${id} started`);
    expect(p.lines()).toEqual(['first v1', 'gate v1', 'gate v1', 'last v1']);
    expect(ofType(p.events(id), 'RunSucceeded')).toEqual([expect.objectContaining({ summary: 'ran v1' })]);
  }, 30_000);
});

describe('TypeScript workflows: failures, retries, logs, Ctrl-C', () => {
  it('a step result over the limit fails with STEP_RESULT_TOO_LARGE naming the step and size, never retried', () => {
    const p = project(`import { workflow } from 'baton';
import { appendFileSync } from 'node:fs';

export default workflow({ name: 'hoarder' }, async (ctx) => {
  await ctx.step('big', { retry: { attempts: 3, delay: '10ms' } }, () => {
    appendFileSync(new URL('marker', import.meta.url), 'big\\n');
    return 'x'.repeat(2 * 1024 * 1024);
  });
  return ctx.summary('kept it all');
});
`);
    const result = p.run(['run', 'flow.ts', '--view', 'none']);
    expect(result.status, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toContain('STEP_RESULT_TOO_LARGE');
    expect(result.stdout).toMatch(/step big\b.*2 MiB.*1 MiB/);
    expect(p.lines()).toEqual(['big']);
    const id = p.lastRun();
    const big = p.status(id).tasks.find((t) => t.id === 'big')!;
    expect(big).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'STEP_RESULT_TOO_LARGE' } });
    expect(ofType(p.events(id), 'TaskRetryScheduled')).toEqual([]);
  });

  it('a step that throws is retried by its policy; ctx.sh and ctx.log output is in baton logs', () => {
    const p = project(`import { workflow } from 'baton';

export default workflow({ name: 'persistent' }, async (ctx) => {
  const attempts = await ctx.step('flaky', { retry: { attempts: 3, delay: '10ms' } }, (step) => {
    ctx.log('trying, attempt', step.attempt);
    if (step.attempt < 3) throw new Error('not yet, attempt ' + step.attempt);
    return step.attempt;
  });
  const said = await ctx.step('say', () => ctx.sh\`echo hello from sh; echo warning from sh >&2\`);
  return ctx.summary('took ' + attempts + ' attempts, said ' + said.stdout.trim());
});
`);
    const result = p.run(['run', 'flow.ts', '--view', 'none']);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('took 3 attempts, said hello from sh');
    const id = p.lastRun();
    expect(p.status(id).tasks.find((t) => t.id === 'flaky')).toMatchObject({ status: 'succeeded', attempts: 3 });
    const events = p.events(id);
    expect(ofType(events, 'TaskRetryScheduled').map((e) => e.task)).toEqual(['flaky', 'flaky']);
    expect(ofType(events, 'TaskFailed').map((e) => (e.error as { message: string }).message)).toEqual([
      expect.stringContaining('not yet, attempt 1'),
      expect.stringContaining('not yet, attempt 2'),
    ]);

    const say = p.run(['logs', id, 'say']);
    expect(say.status).toBe(0);
    expect(say.stdout).toContain('hello from sh');
    expect(say.stdout).toContain('warning from sh');
    const flaky = p.run(['logs', id, 'flaky']).stdout;
    for (const attempt of [1, 2, 3]) expect(flaky).toContain(`trying, attempt ${attempt}`);
  });

  it('Ctrl-C during ctx.sh`sleep 30` cancels the run at once (exit 130) and the sleep is gone', async () => {
    const p = project(`import { workflow } from 'baton';
import { fileURLToPath } from 'node:url';

export default workflow({ name: 'sleeper' }, async (ctx) => {
  const pidFile = fileURLToPath(new URL('sleep.pid', import.meta.url));
  await ctx.step('long', () => ctx.sh\`echo $$ > \${pidFile}; exec sleep 30\`);
  return ctx.summary('slept');
});
`);
    const pidFile = path.join(p.dir, 'sleep.pid');
    const run = p.start(['run', 'flow.ts', '--view', 'plain']);
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 20_000, 'the sleep to start');
    const sleeper = Number(readFileSync(pidFile, 'utf8').trim());
    await until(() => alive(sleeper), 5_000, 'the sleep to exec');

    const sent = Date.now();
    run.child.kill('SIGINT');
    const result = await run.done;
    // Far sooner than the 30 s the sleep would take (a generous bound for a loaded machine).
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(result.status, result.stdout + result.stderr).toBe(130);
    await until(() => !alive(sleeper), 5_000, 'the sleep process to be gone');
    const id = p.lastRun();
    expect(p.status(id)).toMatchObject({ status: 'cancelled' });
    expect(p.status(id).tasks.find((t) => t.id === 'long')?.status).toBe('cancelled');
  }, 30_000);
});

/** A run that stops at an approval; what it does after depends on the answer. */
const GO_LIVE = `import { workflow } from 'baton';
import { appendFileSync } from 'node:fs';

const mark = (line: string) => appendFileSync(new URL('marker', import.meta.url), line + '\\n');

export default workflow({ name: 'go-live' }, async (ctx) => {
  await ctx.step('prepare', () => mark('prepare'));
  let answer;
  try {
    answer = await ctx.approval('go-live', { prompt: 'Switch traffic?' });
  } catch (err) {
    if (process.env.CATCH !== 'yes' || (err as { code?: string }).code !== 'APPROVAL_REJECTED') throw err;
    await ctx.step('stay', () => mark('stay'));
    return ctx.summary('stayed: ' + (err as Error).message);
  }
  await ctx.step('switch', () => mark('switch'));
  return ctx.summary('switched; comment: ' + answer.comment);
});
`;

describe('TypeScript workflows: waits answered by baton approve and baton emit', () => {
  /** Runs GO_LIVE until it waits; the run's process must exit by itself. */
  function waitingForApproval(env: NodeJS.ProcessEnv = {}) {
    const p = project(GO_LIVE);
    const first = p.run(['run', 'flow.ts', '--view', 'none'], env);
    const id = p.lastRun();
    expect(first.status, first.stdout + first.stderr).toBe(4);
    expect(first.stdout).toContain('waiting');
    expect(first.stdout).toContain('Switch traffic?');
    expect(first.stdout).toContain(`baton approve ${id}`);
    expect(p.status(id).status).toBe('waiting');
    expect(p.lines()).toEqual(['prepare']);
    return { p, id };
  }

  it('an approval across processes: the run exits waiting, baton approve carries it to its end', () => {
    const { p, id } = waitingForApproval();
    const approved = p.run(['approve', id, '--comment', 'ship it', '--view', 'none']);
    expect(approved.status, approved.stdout + approved.stderr).toBe(0);
    expect(approved.stdout).toContain('switched; comment: ship it');
    expect(p.lines()).toEqual(['prepare', 'switch']);
    expect(p.status(id).status).toBe('succeeded');
    // Answered once: a second answer finds nothing to approve.
    expect(p.run(['approve', id]).status).not.toBe(0);
  });

  it('baton approve --reject fails the step with APPROVAL_REJECTED, and the run with it', () => {
    const { p, id } = waitingForApproval();
    const rejected = p.run(['approve', id, '--reject', '--comment', 'no', '--view', 'none']);
    expect(rejected.status, rejected.stdout + rejected.stderr).toBe(1);
    expect(rejected.stdout).toContain('APPROVAL_REJECTED');
    expect(rejected.stdout).toMatch(/rejected by \S+: no\b/);
    expect(p.lines()).toEqual(['prepare']);
    const view = p.status(id);
    expect(view.status).toBe('failed');
    expect(view.tasks.find((t) => t.id === 'go-live')).toMatchObject({ status: 'failed', error: { code: 'APPROVAL_REJECTED' } });
  });

  it('a rejection the code catches lets the run go on another way', () => {
    const { p, id } = waitingForApproval({ CATCH: 'yes' });
    const rejected = p.run(['approve', id, '--reject', '--comment', 'not today', '--view', 'none'], { CATCH: 'yes' });
    expect(rejected.status, rejected.stdout + rejected.stderr).toBe(0);
    expect(rejected.stdout).toMatch(/stayed: .*go-live/);
    expect(p.lines()).toEqual(['prepare', 'stay']);
    expect(p.status(id).status).toBe('succeeded');
  });

  it('baton emit delivers an event to a run no process drives; waitForEvent returns its data', () => {
    const p = project(`import { workflow } from 'baton';

export default workflow({ name: 'dns-switch' }, async (ctx) => {
  await ctx.step('update-dns', () => 'requested');
  const dns = await ctx.waitForEvent<{ ok: boolean }>('dns-ok', { event: 'dns.propagated', timeout: '1h' });
  const checked = await ctx.step('check', () => (dns.ok ? 'propagated' : 'not propagated'));
  return ctx.summary('dns ' + checked + ', data ' + JSON.stringify(dns));
});
`);
    const first = p.run(['run', 'flow.ts', '--view', 'none']);
    const id = p.lastRun();
    expect(first.status, first.stdout + first.stderr).toBe(4);
    expect(first.stdout).toContain('baton emit dns.propagated');
    expect(p.status(id).status).toBe('waiting');

    // Another event's name reaches nothing.
    expect(p.run(['emit', 'dns.other', '--data', '{"ok":false}']).status).toBe(0);
    expect(p.status(id).status).toBe('waiting');

    const emitted = p.run(['emit', 'dns.propagated', '--data', '{"ok":true}', '--view', 'none']);
    expect(emitted.status, emitted.stdout + emitted.stderr).toBe(0);
    expect(emitted.stdout).toContain('dns propagated, data {"ok":true}');
    expect(p.status(id).status).toBe('succeeded');
    expect(ofType(p.events(id), 'RunSucceeded')).toEqual([expect.objectContaining({ summary: 'dns propagated, data {"ok":true}' })]);
  });
});

describe('TypeScript workflows: baton validate', () => {
  it('reports the workflow name and inputs, and a syntax error at file:line:col', () => {
    const p = project(`import { workflow } from 'baton';

export default workflow({ name: 'rotate-certs', inputs: { env: 'string', hosts: { type: 'number', default: 3 } } }, async (ctx, inputs) => {
  return ctx.summary('would rotate ' + inputs.hosts + ' hosts in ' + inputs.env);
});
`);
    // validate reads no store.
    const validate = () => baton(['validate', 'flow.ts'], { cwd: p.dir });
    const valid = validate();
    expect(valid.status, valid.stdout + valid.stderr).toBe(0);
    expect(valid.stdout).toContain('rotate-certs');
    expect(valid.stdout).toMatch(/\benv\b[^,]*string/);
    expect(valid.stdout).toMatch(/\bhosts\b[^,]*number/);

    writeFileSync(p.file, `import { workflow } from 'baton';

export default workflow({ name: 'broken' }, async (ctx) => {
  const hosts = ;
});
`);
    const invalid = validate();
    expect(invalid.status).not.toBe(0);
    expect(invalid.stdout + invalid.stderr).toMatch(/flow\.ts:4:17\b/);
    expect(invalid.stdout + invalid.stderr).toContain('CODE_SYNTAX');
    const run = p.run(['run', 'flow.ts']);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/flow\.ts:4:17\b/);
  });
});
