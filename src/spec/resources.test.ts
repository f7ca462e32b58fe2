import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

const POOLS = { 'db-migrations': 1, gpu: 2 };

describe('task resources', () => {
  test('a list holds one of each pool; a mapping gives amounts; composites hold none', () => {
    const wf = valid(check(yaml`
      name: demo
      tasks:
        - id: migrate
          command: ./migrate
          resources: [db-migrations]
        - id: train
          command: ./train
          resources: {gpu: 2, db-migrations: 1}
        - id: plain
          command: echo
        - id: one
          command: echo
          resources: gpu
    `, 'flow.yaml', { pools: POOLS }));
    expect(wf.tasks.map((t) => t.resources)).toEqual([{ 'db-migrations': 1 }, { gpu: 2, 'db-migrations': 1 }, undefined, { gpu: 1 }]);
    expect('resources' in wf.tasks[2]).toBe(false);
  });

  test("a pool the config does not have is an error at its place, with did-you-mean and the config's pools", () => {
    const d = only(check(yaml`
      name: demo
      tasks:
        - id: migrate
          command: ./migrate
          resources: [db-migration]
    `, 'flow.yaml', { pools: POOLS }), 'SPEC_UNKNOWN_RESOURCE');
    expect(where(d)).toBe("5:17 unknown pool 'db-migration' (did you mean 'db-migrations'?)");
    expect(d.hint).toBe('the pools of baton.config.yaml are: db-migrations, gpu');
  });

  test('without the config, names are not checked against it; with a config of no pools, every pool is unknown', () => {
    valid(check('name: demo\ntasks:\n  - id: a\n    command: echo\n    resources: [anything]\n'));
    const d = only(check('name: demo\ntasks:\n  - id: a\n    command: echo\n    resources: [gpu]\n', 'flow.yaml', { pools: {} }), 'SPEC_UNKNOWN_RESOURCE');
    expect(d.hint).toBe('baton.config.yaml declares no pools: add `resources: {gpu: 1}` there');
  });

  test('asking for more than a pool has, twice for one pool, a bad name or amount, or on a composite is an error', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: greedy
          command: echo
          resources: {gpu: 3}
        - id: twice
          command: echo
          resources: [gpu, gpu]
        - id: odd
          command: echo
          resources: ['no way']
        - id: zero
          command: echo
          resources: {gpu: 0}
        - id: group
          type: parallel
          resources: [gpu]
          tasks: [{command: echo}]
    `, 'flow.yaml', { pools: POOLS });
    expect(result.workflow).toBeUndefined();
    expect(codes(result)).toEqual(['SPEC_RESOURCE_OVER_CAPACITY', 'SPEC_INVALID_VALUE', 'SPEC_INVALID_VALUE', 'SPEC_INVALID_VALUE', 'SPEC_FIELD_NOT_ALLOWED']);
    expect(where(only(result, 'SPEC_RESOURCE_OVER_CAPACITY'))).toBe("5:17 asks for 3 of pool 'gpu', which has 2: it could never start");
    expect(result.diagnostics.map((d) => d.message).slice(1, 4)).toEqual(["pool 'gpu' is asked for twice", "'no way' is not a pool name", expect.stringContaining('an amount is a whole number, at least 1')]);
    expect(only(result, 'SPEC_FIELD_NOT_ALLOWED').message).toMatch(/^field 'resources' does not apply to a parallel task \(it is for shell\/http\/script\/noop\/sleep\/skill\/[a-z_/]+ tasks\)$/);
  });
});
