import { describe, expect, it } from 'vitest';
import { check, valid, yaml } from '../spec/test-support.js';
import { runTest } from './test-dsl.js';

describe("a workflow's outputs", () => {
  it("are evaluated once every task has ended and become the run's result", async () => {
    const wf = valid(check(yaml`
      name: outs
      inputs: { who: world }
      outputs:
        greeting: "hello \${ inputs.who }"
        count: "\${ tasks.b.outputs.n }"
        skipped: "\${ tasks.c.status }"
      tasks:
        - { id: a, type: noop }
        - { id: b, type: noop, depends_on: [a] }
        - { id: c, type: noop, condition: "false" }
    `));
    const run = await runTest(wf, { b: [{ outputs: { n: 3 } }] });
    expect(run.state.status).toBe('succeeded');
    expect(run.state.result).toEqual({ greeting: 'hello world', count: 3, skipped: 'skipped' });
    expect(run.events.at(-1)).toMatchObject({ type: 'RunSucceeded', result: { count: 3 } });
  });

  it('an output that cannot be evaluated fails the run, saying which', async () => {
    const wf = valid(check(yaml`
      name: outs
      outputs: { parsed: "\${ fromJSON(tasks.a.outputs.text) }" }
      tasks: [{ id: a, type: noop }]
    `));
    const run = await runTest(wf, { a: [{ outputs: { text: 'not json' } }] });
    expect(run.state.status).toBe('failed');
    expect(run.state.runError).toMatchObject({ code: 'RUN_OUTPUTS' });
    expect(run.state.runError?.message).toMatch(/^the workflow's output 'parsed' could not be evaluated: /);
  });

  it('a failed run has no result', async () => {
    const wf = valid(check(yaml`
      name: outs
      outputs: { n: "\${ tasks.a.outputs.n }" }
      tasks: [{ id: a, type: noop }]
    `));
    const run = await runTest(wf, { a: ['fail-permanent'] });
    expect(run.state.status).toBe('failed');
    expect(run.state.result).toBeUndefined();
  });

  it('are checked at load time: unknown tasks, inputs and properties, with line:col', () => {
    const result = check(yaml`
      name: outs
      outputs:
        a: "\${ tasks.nope.outputs.x }"
        b: "\${ inputs.missing }"
        c: "\${ tasks.t.output }"
      tasks: [{ id: t, type: noop }]
    `);
    expect(result.diagnostics.map((d) => `${d.line}:${d.col} ${d.code}`)).toEqual([
      '3:16 SPEC_UNKNOWN_TASK',
      '4:17 SPEC_UNKNOWN_INPUT',
      '5:18 SPEC_UNKNOWN_PROPERTY',
    ]);
  });
});
