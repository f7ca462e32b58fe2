import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

describe('concurrency', () => {
  test('the mapping limits runs by a key over the inputs, and tasks of a run', () => {
    const workflow = valid(check(yaml`
      name: deploy
      inputs:
        env: { type: string }
      concurrency:
        key: deploy-\${ inputs.env }
        limit: 2
        on_conflict: cancel-running
        tasks: 4
      tasks:
        - id: a
          command: echo
    `));
    expect(workflow.run_concurrency).toEqual({ key: 'deploy-${ inputs.env }', limit: 2, on_conflict: 'cancel-running' });
    expect(workflow.concurrency).toBe(4);
  });

  test('defaults: the key is the workflow name, the limit 1, a conflict queues; {tasks} alone limits tasks only', () => {
    const runs = valid(check('name: nightly\nconcurrency: {}\ntasks:\n  - id: a\n    command: echo\n'));
    expect(runs.run_concurrency).toEqual({ key: 'nightly', limit: 1, on_conflict: 'queue' });
    const tasks = valid(check('name: nightly\nconcurrency: {tasks: 3}\ntasks:\n  - id: a\n    command: echo\n'));
    expect(tasks.run_concurrency).toBeUndefined();
    expect(tasks.concurrency).toBe(3);
  });

  test('the integer form still limits tasks, with a warning saying how to write it now', () => {
    const result = check('name: old\nconcurrency: 4\ntasks:\n  - id: a\n    command: echo\n');
    const workflow = valid(result);
    expect(workflow.concurrency).toBe(4);
    expect(workflow.run_concurrency).toBeUndefined();
    const d = only(result, 'SPEC_CONCURRENCY_NUMBER');
    expect(d.severity).toBe('warning');
    expect(where(d)).toMatch(/^2:14 `concurrency: 4` limits the tasks of a run/);
    expect(d.hint).toContain('concurrency: {tasks: 4}');
  });

  test('a bad on_conflict, limit or field is reported where it is written', () => {
    const result = check(yaml`
      name: deploy
      concurrency:
        key: deploy
        limit: 0
        on_conflict: wait
        keys: x
      tasks:
        - id: a
          command: echo
    `);
    expect(result.workflow).toBeUndefined();
    expect(result.diagnostics.filter((d) => d.severity === 'error').map(where)).toEqual([
      expect.stringMatching(/^4:10 /),
      expect.stringMatching(/^5:16 /),
      expect.stringMatching(/^6:3 unknown field 'keys' \(did you mean 'key'\?\)/),
    ]);
  });

  test('the key reads only what exists when a run is started: declared inputs and the workflow', () => {
    const result = check(yaml`
      name: deploy
      inputs:
        env: { type: string }
      concurrency:
        key: "\${ inputs.evn }-\${ tasks.a.outputs.x }-\${ workflow.nme }"
      tasks:
        - id: a
          command: echo
    `);
    expect(codes(result)).toEqual(['SPEC_UNKNOWN_INPUT', 'SPEC_CONTEXT_UNAVAILABLE', 'SPEC_UNKNOWN_PROPERTY']);
    expect(where(only(result, 'SPEC_UNKNOWN_INPUT'))).toBe("5:19 input 'evn' is not declared (did you mean 'env'?)");
    expect(where(only(result, 'SPEC_CONTEXT_UNAVAILABLE'))).toMatch(/^5:28 the concurrency key is evaluated when a run is started/);
    expect(where(only(result, 'SPEC_UNKNOWN_PROPERTY'))).toMatch(/^5:60 workflow has no 'nme'/);
  });

  test('a key with a syntax error is reported at its column', () => {
    const d = only(check('name: deploy\nconcurrency:\n  key: "x-${ inputs. }"\ntasks:\n  - id: a\n    command: echo\n'), 'SPEC_EXPR_SYNTAX');
    expect(d.line).toBe(3);
  });
});
