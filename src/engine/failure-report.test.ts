import { describe, expect, it } from 'vitest';
import { loop, noop, parallel, runTest, workflow } from './test-dsl.js';
import { summarize } from './summary.js';

/** What a failed run keeps for the tasks that report on it, and what its summary says. */

describe('a failed loop keeps what its iterations did', () => {
  it('gives results and each item with its status to a report task, as a succeeded loop does', async () => {
    const wf = workflow([
      loop('patch', ['web1', 'web2', 'web3'], noop('host'), { stop_on_failure: false }),
      noop('report', {
        depends_on: ['patch'],
        condition: "always() && tasks.patch.outputs.iterations[1].status == 'failed' && tasks.patch.outputs.results[2].host == 'web3'",
      }),
    ]);
    const run = await runTest(wf, {
      'patch[web1]': [{ outputs: { host: 'web1' } }],
      'patch[web2]': ['fail'],
      'patch[web3]': [{ outputs: { host: 'web3' } }],
    });
    expect(run.status('patch')).toBe('failed');
    expect(run.status('report')).toBe('succeeded');
    expect(run.state.task('patch').outputs).toEqual({
      results: [{ host: 'web1' }, {}, { host: 'web3' }],
      iterations: [
        { item: 'web1', status: 'succeeded' },
        { item: 'web2', status: 'failed', error: { code: 'EXEC_EXIT_CODE', message: 'patch[web2] failed on cue' } },
        { item: 'web3', status: 'succeeded' },
      ],
    });
    // The same shape when every item succeeds.
    const ok = await runTest(wf, { 'patch[web1]': [{ outputs: { host: 'web1' } }] });
    expect(ok.state.task('patch').outputs).toMatchObject({
      results: [{ host: 'web1' }, {}, {}],
      iterations: [{ item: 'web1', status: 'succeeded' }, { item: 'web2', status: 'succeeded' }, { item: 'web3', status: 'succeeded' }],
    });
  });

  it('keeps them in the summary, and a failed parallel keeps its results too', async () => {
    const wf = workflow([
      loop('patch', ['a', 'b'], noop('host')),
      parallel('both', [noop('x'), noop('y')]),
    ]);
    const run = await runTest(wf, { 'patch[b]': ['fail'], x: [{ outputs: { v: 1 } }], y: ['fail'] });
    const summary = summarize(run.state);
    expect(summary.tasks.find((t) => t.id === 'patch')?.outputs).toMatchObject({ iterations: [{ item: 'a', status: 'succeeded' }, { item: 'b', status: 'failed' }] });
    expect(summary.tasks.find((t) => t.id === 'both')?.outputs).toEqual({ results: { x: { v: 1 }, y: {} } });
  });
});

describe('why a failure was not retried', () => {
  const retry = (attempts: number) => ({ retry: { attempts, delay: 0, backoff: 'fixed' as const, factor: 2, jitter: 0 } });

  it('is recorded with the last failure only, and shown in the summary document', async () => {
    const wf = workflow([noop('once'), noop('flaky', retry(2)), noop('broken', retry(3))]);
    const run = await runTest(wf, { once: ['fail'], flaky: ['fail', 'fail'], broken: ['fail-permanent'] });
    const failures = run.events.filter((e) => e.type === 'TaskFailed').map((e) => e.type === 'TaskFailed' && [e.task, e.error.not_retried]);
    expect(failures).toEqual(
      expect.arrayContaining([
        ['once', 'no retry configured'],
        ['flaky', undefined],
        ['flaky', 'attempts exhausted (2 of 2)'],
        ['broken', 'EXEC_EXIT_CODE is not retryable'],
      ]),
    );
    const summary = summarize(run.state);
    expect(summary.tasks.find((t) => t.id === 'flaky')?.error?.not_retried).toBe('attempts exhausted (2 of 2)');
  });
});
