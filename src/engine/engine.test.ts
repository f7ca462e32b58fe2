import { describe, expect, it } from 'vitest';
import { conditional, loop, noop, parallel, runTest, shell, workflow } from './test-dsl.js';
import { RunState } from './state.js';
import { buildPlan } from './plan.js';

describe('engine: the graph', () => {
  it('runs a chain in order and succeeds', async () => {
    const run = await runTest(workflow([noop('a'), noop('b', { depends_on: ['a'] }), noop('c', { depends_on: ['b'] })]));
    expect(run.state.status).toBe('succeeded');
    expect(run.started).toEqual(['a', 'b', 'c']);
  });

  it('skips dependants of a failed task, with the reason, and fails the run', async () => {
    const run = await runTest(
      workflow([
        noop('a'),
        noop('b', { depends_on: ['a'] }),
        noop('c', { depends_on: ['b'] }),
        noop('cleanup', { depends_on: ['c'], condition: 'always()' }),
        noop('on-fail', { depends_on: ['c'], condition: 'failure()' }),
        noop('on-ok', { depends_on: ['c'], condition: 'success()' }),
      ]),
      { a: ['fail-permanent'] },
    );
    expect(run.state.status).toBe('failed');
    expect(run.status('b')).toBe('skipped');
    expect(run.state.task('b').reason).toBe('dependency a failed');
    expect(run.status('c')).toBe('skipped');
    expect(run.status('cleanup')).toBe('succeeded');
    expect(run.status('on-fail')).toBe('succeeded');
    expect(run.status('on-ok')).toBe('skipped');
    expect(run.state.runError?.code).toBe('RUN_TASKS_FAILED');
  });

  it('skips a task whose condition is false and records the condition', async () => {
    const run = await runTest(
      workflow([noop('a', { condition: "env.SKIP == 'true'" }), noop('b', { depends_on: ['a'] })], { environment: { SKIP: 'no' } }),
    );
    expect(run.state.status).toBe('succeeded');
    expect(run.status('a')).toBe('skipped');
    expect(run.state.task('a').reason).toContain("env.SKIP == 'true'");
    expect(run.status('b')).toBe('skipped');
  });

  it("evaluates the seed's condition form against task results and env", async () => {
    const wf = (enabled: string) =>
      workflow(
        [
          shell('test', 'exit 0'),
          noop('deploy', { depends_on: ['test'], condition: "${tasks.test.exit_code} == 0 && ${env.DEPLOY_ENABLED} == 'true'" }),
        ],
        { environment: { DEPLOY_ENABLED: enabled } },
      );
    expect((await runTest(wf('true'))).status('deploy')).toBe('succeeded');
    expect((await runTest(wf('false'))).status('deploy')).toBe('skipped');
  });

  it('passes outputs to dependants through expressions, quoted for the shell', async () => {
    const run = await runTest(
      workflow([
        shell('make', `echo 'version=1.2; touch /tmp/baton-pwned-$$' >> "$BATON_OUTPUT"`),
        shell('use', 'echo "got ${ tasks.make.outputs.version }"', { depends_on: ['make'], outputs: { seen: '${ result.stdout }' } }),
      ]),
    );
    expect(run.state.status).toBe('succeeded');
    expect(run.state.task('use').outputs?.seen).toMatch(/^got 1\.2; touch \/tmp\/baton-pwned-\$\$$/);
  });

  it('honours the global concurrency limit', async () => {
    const tasks = Array.from({ length: 12 }, (_, i) => noop(`t${i}`));
    const cues = Object.fromEntries(tasks.map((t) => [t.id, [{ wait: 20 }]]));
    const run = await runTest(workflow(tasks), cues, { concurrency: 3 });
    expect(run.state.status).toBe('succeeded');
    expect(run.peak).toBe(3);
  });

  it('lets a continue_on_error failure pass', async () => {
    const run = await runTest(workflow([noop('a', { continue_on_error: true }), noop('b', { depends_on: ['a'] })]), {
      a: ['fail-permanent'],
    });
    expect(run.status('a')).toBe('failed');
    expect(run.status('b')).toBe('succeeded');
    expect(run.state.status).toBe('succeeded');
  });
});

describe('engine: retries', () => {
  it('retries a retryable failure with backoff until it succeeds', async () => {
    const retry = { attempts: 3, delay: 5, backoff: 'exponential' as const, factor: 2, jitter: 0 };
    const run = await runTest(workflow([noop('flaky', { retry })]), { flaky: ['fail', 'fail', 'ok'] });
    expect(run.state.status).toBe('succeeded');
    expect(run.state.task('flaky').attempt).toBe(3);
    const scheduled = run.events.filter((e) => e.type === 'TaskRetryScheduled');
    // The waits grow 5 ms, 10 ms (the exact values are retry.test.ts's business; the clock
    // may tick between computing the due time and stamping the event).
    const waits = scheduled.map((e) => (e.type === 'TaskRetryScheduled' ? e.at_due - e.at : 0));
    expect(waits[0]).toBeGreaterThanOrEqual(3);
    expect(waits[0]).toBeLessThanOrEqual(5);
    expect(waits[1]).toBeGreaterThanOrEqual(8);
    expect(waits[1]).toBeLessThanOrEqual(10);
  });

  it('gives up after the last attempt and does not retry permanent errors', async () => {
    const retry = { attempts: 2, delay: 1, backoff: 'fixed' as const, factor: 2, jitter: 0 };
    const run = await runTest(workflow([noop('a', { retry }), noop('b', { retry })]), {
      a: ['fail', 'fail', 'ok'],
      b: ['fail-permanent', 'ok'],
    });
    expect(run.state.task('a').attempt).toBe(2);
    expect(run.status('a')).toBe('failed');
    expect(run.state.task('b').attempt).toBe(1);
    expect(run.status('b')).toBe('failed');
  });
});

describe('engine: composites', () => {
  it('parallel wait_for all fails when one child fails, after all ended', async () => {
    const run = await runTest(workflow([parallel('p', [noop('x'), noop('y'), noop('z')]), noop('after', { depends_on: ['p'] })]), {
      y: ['fail-permanent'],
    });
    expect(run.status('p')).toBe('failed');
    expect(run.status('x')).toBe('succeeded');
    expect(run.status('z')).toBe('succeeded');
    expect(run.status('after')).toBe('skipped');
  });

  it('parallel wait_for any succeeds with the first success and cancels the rest', async () => {
    const run = await runTest(
      workflow([parallel('p', [noop('slow'), noop('fast'), noop('bad')], { wait_for: 'any' }), noop('after', { depends_on: ['p'] })]),
      { slow: [{ wait: 5000 }], fast: [{ wait: 10 }], bad: ['fail-permanent'] },
    );
    expect(run.status('p')).toBe('succeeded');
    expect(run.status('slow')).toBe('cancelled');
    expect(run.status('after')).toBe('succeeded');
    expect(run.state.status).toBe('failed'); // `bad` failed on its own
  });

  it('parallel wait_for first takes the first to end, even a failure', async () => {
    const run = await runTest(workflow([parallel('p', [noop('slow'), noop('quick')], { wait_for: 'first' })]), {
      slow: [{ wait: 5000 }],
      quick: [{ wait: 5, fail: true }],
    });
    expect(run.status('p')).toBe('failed');
    expect(run.status('slow')).toBe('cancelled');
  });

  it('parallel max_concurrency bounds its children', async () => {
    const kids = Array.from({ length: 6 }, (_, i) => noop(`k${i}`));
    const run = await runTest(workflow([parallel('p', kids, { max_concurrency: 2 })]), Object.fromEntries(kids.map((k) => [k.id, [{ wait: 15 }]])));
    expect(run.status('p')).toBe('succeeded');
    expect(run.peak).toBe(2);
  });

  it('a sequential loop runs items in order, keyed by item, and stops on failure', async () => {
    const run = await runTest(workflow([loop('envs', ['staging', 'qa', 'production'], noop('deploy'))]), {
      'envs[qa]': ['fail-permanent'],
    });
    expect(run.started).toEqual(['envs[staging]', 'envs[qa]']);
    expect(run.status('envs[production]')).toBe('skipped');
    expect(run.state.task('envs[production]').reason).toBe('dependency envs[qa] failed');
    expect(run.status('envs')).toBe('failed');
  });

  it('a loop without stop_on_failure goes on after a failure', async () => {
    const run = await runTest(workflow([loop('l', ['a', 'b', 'c'], noop('t'), { stop_on_failure: false })]), {
      'l[b]': ['fail-permanent'],
    });
    expect(run.started).toEqual(['l[a]', 'l[b]', 'l[c]']);
    expect(run.status('l')).toBe('failed');
  });

  it('a parallel loop respects max_concurrency and gives item/index to its template', async () => {
    const items = [1, 2, 3, 4, 5];
    const run = await runTest(
      workflow([loop('sq', items, shell('t', 'echo "n=$((${ item } * ${ index }))" >> "$BATON_OUTPUT"'), { parallel: true, max_concurrency: 2 })]),
    );
    expect(run.status('sq')).toBe('succeeded');
    expect(run.state.task('sq').outputs?.results).toEqual([0, 2, 6, 12, 20].map((n) => expect.objectContaining({ n: String(n) })));
  });

  it('a loop takes its items from an expression over earlier outputs', async () => {
    const run = await runTest(
      workflow([
        shell('list', `echo 'items=["a b", "c"]' >> "$BATON_OUTPUT"`),
        loop('each', '${ fromJSON(tasks.list.outputs.items) }', noop('t'), { depends_on: ['list'] }),
      ]),
    );
    expect(run.status('each')).toBe('succeeded');
    expect(run.started).toEqual(['each[0]', 'each[1]']);
    expect(run.state.nodes.get('each[0]')?.item).toBe('a b');
  });

  it('a conditional runs then or else and skips the other', async () => {
    const wf = (flag: string) =>
      workflow([conditional('c', `inputs.go == '${flag}'`, noop('yes'), noop('no'))], { inputs: {} });
    const yes = await runTest(wf('x'), {}, { inputs: {} });
    // inputs.go is null: 'x' != null -> else branch
    expect(yes.status('no')).toBe('succeeded');
    expect(yes.status('yes')).toBe('skipped');
    expect(yes.state.task('c').outputs?.branch).toBe('else');
  });

  it('loops can hold composites; keys stay unique per iteration', async () => {
    const run = await runTest(workflow([loop('l', ['a', 'b'], parallel('p', [noop('x'), noop('y')]), { parallel: true })]));
    expect(run.status('l')).toBe('succeeded');
    expect([...run.started].sort()).toEqual(['l[a][0]', 'l[a][1]', 'l[b][0]', 'l[b][1]']);
  });
});

describe('engine: callbacks', () => {
  it('runs on_failure callbacks with the error, and skips on_success ones', async () => {
    const run = await runTest(
      workflow([
        noop('deploy', { on_success: ['notify-ok'], on_failure: ['rollback', 'notify-fail'] }),
        noop('notify-ok'),
        shell('rollback', 'echo "rolling back after: ${ trigger.error }" >&2; echo "error=${ trigger.error }" >> "$BATON_OUTPUT"'),
        noop('notify-fail'),
      ]),
      { deploy: ['fail-permanent'] },
    );
    expect(run.status('rollback')).toBe('succeeded');
    expect(run.state.task('rollback').outputs?.error).toBe('deploy failed on cue');
    expect(run.status('notify-fail')).toBe('succeeded');
    expect(run.status('notify-ok')).toBe('skipped');
    expect(run.state.task('notify-ok').reason).toBe('not triggered: deploy failed');
    expect(run.state.status).toBe('failed');
  });

  it('never starts a callback as a root', async () => {
    const run = await runTest(workflow([noop('a', { on_success: ['cb'] }), noop('cb')]));
    expect(run.started).toEqual(['a', 'cb']);
  });
});

describe('engine: time limits and cancellation', () => {
  it('fails a task that exceeds its timeout, killing it', async () => {
    const run = await runTest(workflow([shell('slow', 'sleep 5', { timeout: 100 })]));
    expect(run.status('slow')).toBe('failed');
    expect(run.state.task('slow').error?.code).toBe('EXEC_TIMEOUT');
  });

  it('fails the run when it exceeds its own timeout', async () => {
    const run = await runTest(workflow([shell('slow', 'sleep 5'), noop('next', { depends_on: ['slow'] })], { timeout: 100 }));
    expect(run.state.status).toBe('failed');
    expect(run.state.runError?.code).toBe('RUN_TIMEOUT');
    expect(run.status('slow')).toBe('cancelled');
  });

  it('cancels cleanly on abort, still running always() tasks', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const run = await runTest(
      workflow([shell('long', 'sleep 5'), noop('next', { depends_on: ['long'] }), noop('cleanup', { depends_on: ['long'], condition: 'always()' })]),
      {},
      { signal: controller.signal },
    );
    expect(run.state.status).toBe('cancelled');
    expect(run.status('long')).toBe('cancelled');
    expect(run.status('next')).toBe('cancelled');
    expect(run.status('cleanup')).toBe('succeeded');
  });
});

describe('engine: the event log is the truth', () => {
  it('replaying the events rebuilds the same state', async () => {
    const run = await runTest(
      workflow([loop('l', ['a', 'b'], noop('t')), parallel('p', [noop('x'), noop('y')], { depends_on: ['l'] }), noop('z', { depends_on: ['p'], condition: 'false' })]),
      { 'l[a]': ['fail', 'ok'] },
      {},
    );
    const replay = new RunState(run.state.runId, buildPlan(run.state.plan.workflow));
    for (const event of run.events) replay.apply(event);
    expect(replay.status).toBe(run.state.status);
    expect([...replay.tasks].map(([k, t]) => [k, t.status, t.attempt])).toEqual(
      [...run.state.tasks].map(([k, t]) => [k, t.status, t.attempt]),
    );
    expect(run.events.map((e) => e.seq)).toEqual(run.events.map((_, i) => i + 1));
  });
});
