import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

describe('ids', () => {
  test('generated ids for tasks inside composites', () => {
    const wf = valid(check(yaml`
      name: x
      tasks:
        - id: p
          type: parallel
          tasks:
            - command: echo a
            - id: named
              command: echo b
            - type: loop
              items: [1, 2]
              task: { command: echo }
        - id: c
          type: conditional
          condition: "true"
          then: { command: echo yes }
          else: { type: noop }
    `));
    const p = wf.tasks[0];
    if (p.type !== 'parallel') throw new Error('expected parallel');
    expect(p.tasks.map((t) => [t.id, t.explicit_id])).toEqual([['p[0]', false], ['named', true], ['p[2]', false]]);
    const loop = p.tasks[2];
    if (loop.type !== 'loop') throw new Error('expected loop');
    expect(loop.task.id).toBe('p[2][item]');
    const c = wf.tasks[1];
    if (c.type !== 'conditional') throw new Error('expected conditional');
    expect([c.if, c.then?.id, c.else?.id, c.condition]).toEqual(['true', 'c[then]', 'c[else]', undefined]);
  });

  test('duplicate ids, across nesting levels', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: build
          command: echo
        - id: group
          type: parallel
          tasks:
            - id: build
              command: echo
    `);
    const d = only(result, 'SPEC_DUPLICATE_ID');
    expect(where(d)).toBe("8:13 duplicate task id 'build' (first used on line 3)");
    expect(d.path).toBe('tasks[1].tasks[0].id');
  });
});

describe('references', () => {
  test('an unknown depends_on target, with did-you-mean', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - id: build
          command: echo
        - id: test
          command: echo
          depends_on: [biuld]
    `), 'SPEC_UNKNOWN_TASK');
    expect(where(d)).toBe("7:18 depends_on names 'biuld', which is not a task id (did you mean 'build'?)");
    expect(d.path).toBe('tasks[1].depends_on[0]');
  });

  test('a generated id cannot be named', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - id: p
          type: parallel
          tasks: [{ command: echo }]
        - id: after
          command: echo
          depends_on: "p[0]"
    `), 'SPEC_UNKNOWN_TASK');
    expect(where(d)).toBe("8:17 depends_on names 'p[0]', which is not a task id");
    expect(d.hint).toContain('give the task an id');
  });

  test('a task may not depend on itself', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo\n    depends_on: [a]\n'), 'SPEC_SELF_DEPENDENCY');
    expect(where(d)).toBe("5:18 task 'a' depends on itself");
  });

  test('a task may not depend on its own composite, nor a composite on its children', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: p
          type: parallel
          depends_on: [inner]
          tasks:
            - id: inner
              command: echo
              depends_on: [p]
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_NESTED_DEPENDENCY').map(where)).toEqual([
      "5:18 'p' cannot wait for 'inner', which is inside it: its tasks start only after it starts",
      "9:22 'inner' is inside 'p', so it cannot wait for it: 'p' ends only after its tasks",
    ]);
  });

  test('children of a parallel may depend on siblings and on outside tasks', () => {
    const wf = valid(check(yaml`
      name: x
      tasks:
        - id: setup
          command: echo
        - id: p
          type: parallel
          tasks:
            - id: a
              command: echo
            - id: b
              command: echo
              depends_on: [a, setup]
    `));
    expect(wf.tasks[1].type === 'parallel' && wf.tasks[1].tasks[1].depends_on).toEqual(['a', 'setup']);
  });

  test('tasks inside a loop or a conditional branch may not have depends_on', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: setup
          command: echo
        - id: each
          type: loop
          items: [a, b]
          task:
            command: echo
            depends_on: [setup]
        - id: pick
          type: conditional
          condition: "true"
          then:
            command: echo
            depends_on: setup
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_DEPENDS_IN_TEMPLATE').map(where)).toEqual([
      "10:7 a task inside a loop cannot have depends_on: 'each' starts it",
      "16:7 a task inside a conditional branch cannot have depends_on: 'pick' starts it",
    ]);
  });

  test('no task may depend on a task inside a loop', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - id: each
          type: loop
          items: [a, b]
          task: { id: one, command: echo }
        - id: after
          command: echo
          depends_on: [one]
    `), 'SPEC_DEPENDS_ON_TEMPLATE');
    expect(where(d)).toBe("9:18 'one' is inside loop 'each' and runs once per item; it cannot be waited for on its own");
    expect(d.hint).toBe("depend on 'each' instead");
  });
});

describe('callbacks', () => {
  test('callbacks are collected in file order', () => {
    const wf = valid(check(yaml`
      name: x
      tasks:
        - id: deploy
          command: echo
          on_success: notify
          on_failure: [rollback, notify]
        - { id: rollback, command: echo }
        - { id: notify, command: echo }
    `));
    expect(wf.callbacks).toEqual(['rollback', 'notify']);
    expect(wf.tasks[0]).toMatchObject({ on_success: ['notify'], on_failure: ['rollback', 'notify'] });
  });

  test('an unknown callback', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo\n    on_failure: [rolback]\n  - { id: rollback, command: echo }\n'), 'SPEC_UNKNOWN_TASK');
    expect(where(d)).toBe("5:18 on_failure names 'rolback', which is not a task id (did you mean 'rollback'?)");
  });

  test('a callback may not have depends_on', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - { id: a, command: echo, on_failure: [undo] }
        - { id: b, command: echo }
        - id: undo
          command: echo
          depends_on: [b]
    `), 'SPEC_CALLBACK_DEPENDS');
    expect(where(d)).toBe("7:5 'undo' is a callback (of 'a'), so it cannot have depends_on: it starts when 'a' ends");
  });

  test('a callback must be a top-level task', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - { id: a, command: echo, on_success: [inner] }
        - id: p
          type: parallel
          tasks: [{ id: inner, command: echo }]
    `), 'SPEC_CALLBACK_NOT_TOP_LEVEL');
    expect(where(d)).toBe("3:42 callback 'inner' is inside 'p'; callbacks must be top-level tasks");
  });

  test('a task may not be its own callback; callbacks of callbacks that never run are reported', () => {
    const result = check(yaml`
      name: x
      tasks:
        - { id: a, command: echo, on_failure: [a] }
        - { id: b, command: echo, on_success: [c] }
        - { id: c, command: echo, on_success: [b] }
    `);
    expect(where(only(result, 'SPEC_CALLBACK_SELF'))).toBe("3:42 task 'a' names itself in on_failure");
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_CALLBACK_UNREACHABLE').map(where)).toEqual([
      "4:11 callback 'b' never runs: only tasks that themselves never run name it",
      "5:11 callback 'c' never runs: only tasks that themselves never run name it",
    ]);
  });

  test('no callbacks from inside a loop', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - id: each
          type: loop
          items: [1]
          task: { command: echo, on_failure: [alarm] }
        - { id: alarm, command: echo }
    `), 'SPEC_CALLBACK_IN_LOOP');
    expect(where(d)).toBe("6:28 a task inside loop 'each' runs once per item, so it cannot have on_failure");
  });
});

describe('cycles', () => {
  test('a cycle is reported once, as a path, at one of its depends_on entries', () => {
    const result = check(yaml`
      name: x
      tasks:
        - { id: a, command: echo, depends_on: [c] }
        - { id: b, command: echo, depends_on: [a] }
        - { id: c, command: echo, depends_on: [b] }
        - { id: d, command: echo, depends_on: [e] }
        - { id: e, command: echo, depends_on: [d] }
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_CYCLE').map(where)).toEqual([
      '3:42 dependency cycle: a -> c -> b -> a',
      '6:42 dependency cycle: d -> e -> d',
    ]);
    expect(result.diagnostics[0].hint).toBe('a -> b means a waits for b');
  });

  test('a cycle through a composite: its tasks start after it starts', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: p
          type: parallel
          depends_on: [x]
          tasks:
            - { id: inner, command: echo }
        - { id: x, command: echo, depends_on: [inner] }
    `);
    const d = only(result, 'SPEC_CYCLE');
    expect(where(d)).toBe('5:18 dependency cycle: p -> x -> inner -> p');
    expect(d.hint).toBe("a -> b means a waits for b; 'inner' is inside 'p', so it starts after it");
  });

  test('a long chain is fine, and a long cycle is summarized', () => {
    const n = 20_000;
    const lines = ['name: chain', 'tasks:'];
    for (let i = 0; i < n; i++) lines.push(`  - { id: t${i}, command: echo, depends_on: [t${(i + n - 1) % n}] }`);
    const cyclic = check(lines.join('\n'));
    expect(codes(cyclic)).toEqual(['SPEC_CYCLE']);
    expect(cyclic.diagnostics[0].message).toBe(`dependency cycle: t0 -> t19999 -> t19998 -> t19997 -> t19996 -> ... (${n - 9} more) -> t4 -> t3 -> t2 -> t1 -> t0`);
    lines[2] = '  - { id: t0, command: echo }';
    valid(check(lines.join('\n')));
  });
});
