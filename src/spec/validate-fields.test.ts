import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

describe('field validation', () => {
  test('an unknown field is reported at its key, with did-you-mean', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: build
          command: echo build
        - id: test
          command: echo test
          depend_on: [build]
    `);
    expect(result.workflow).toBeUndefined();
    const d = only(result, 'SPEC_UNKNOWN_FIELD');
    expect(where(d)).toBe("7:5 unknown field 'depend_on' (did you mean 'depends_on'?)");
    expect(d.path).toBe('tasks[1].depend_on');
    expect(d.file).toBe('flow.yaml');
  });

  test('an unknown field with nothing close lists what is allowed', () => {
    const d = only(check(yaml`
      name: demo
      tasks:
        - id: a
          command: echo
          retry: { attempts: 2, zzz: 1 }
    `), 'SPEC_UNKNOWN_FIELD');
    expect(where(d)).toBe("5:27 unknown field 'zzz'");
    expect(d.hint).toBe('allowed here: attempts, delay, backoff, max_delay, jitter, retry_on, no_retry_on, max_duration');
  });

  test('a wrong kind of value says what was expected and what was found', () => {
    const d = only(check(yaml`
      name: demo
      tasks:
        - id: a
          command: echo
          depends_on: 5
    `), 'SPEC_TYPE');
    expect(where(d)).toBe('5:17 expected a task id or a list of task ids, got the number 5');
    expect(d.path).toBe('tasks[0].depends_on');
  });

  test('a wrong entry inside a list is reported at the entry', () => {
    const d = only(check(yaml`
      name: demo
      tasks:
        - id: a
          command: echo
        - id: b
          command: echo
          depends_on: [a, 7]
    `), 'SPEC_TYPE');
    expect(where(d)).toBe('7:21 expected a task id, got the number 7');
    expect(d.path).toBe('tasks[1].depends_on[1]');
  });

  test('a missing required field is reported where it belongs', () => {
    const result = check(yaml`
      tasks:
        - id: a
          command: echo
    `);
    expect(where(only(result, 'SPEC_MISSING_FIELD'))).toBe("1:1 missing required field 'name'");
  });

  test('an empty task list', () => {
    expect(where(only(check('name: x\ntasks: []\n'), 'SPEC_INVALID_VALUE'))).toBe('2:8 a workflow needs at least one task');
  });

  test('unknown task types: both reported, each with a suggestion when there is one', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: img
          type: kubernetes
        - id: sh
          type: shel
          command: echo
    `);
    const found = result.diagnostics.filter((d) => d.code === 'SPEC_UNKNOWN_TYPE').map(where);
    expect(found).toEqual(["4:11 unknown task type 'kubernetes'", "6:11 unknown task type 'shel' (did you mean 'shell'?)"]);
    expect(result.diagnostics.find((d) => d.code === 'SPEC_UNKNOWN_TYPE')!.hint).toMatch(/^known: shell, http, script, noop, sleep, skill, (.*, )?docker, data_processor, .*parallel, loop, conditional, javascript, typescript, python/);
  });

  test('a field of another task type', () => {
    const d = only(check(yaml`
      name: demo
      tasks:
        - id: a
          command: echo
          url: https://example.com
    `), 'SPEC_FIELD_NOT_ALLOWED');
    expect(where(d)).toBe("5:5 field 'url' does not apply to a shell task (it is for http/publish tasks)");
  });

  test('a task without type or command', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    name: nothing\n'), 'SPEC_MISSING_FIELD');
    expect(where(d)).toBe('3:5 task has no `type` (nor a field that implies one: `command` a shell task, `uses` a skill, `workflow` a child run, `notify` a notification)');
  });

  test('type-specific required fields', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: h
          type: http
        - id: s
          type: sleep
        - id: p
          type: parallel
        - id: l
          type: loop
          items: [1]
        - id: c
          type: conditional
          condition: "true"
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_MISSING_FIELD').map(where)).toEqual([
      '3:5 an http task needs `url`',
      '5:5 a sleep task needs `duration`',
      '7:5 a parallel task needs `tasks`',
      '9:5 a loop needs `task`',
      '12:5 a conditional task needs `then`',
    ]);
  });

  test('invalid and missing ids', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: "has space"
          command: echo
        - name: Build It
          command: echo
    `);
    expect(where(only(result, 'SPEC_INVALID_ID'))).toBe("3:9 invalid task id 'has space'");
    const missing = only(result, 'SPEC_MISSING_ID');
    expect(where(missing)).toBe('5:5 a top-level task needs an `id`');
    expect(missing.hint).toContain('add `id: build-it`');
  });

  test('a bad duration', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo\n    timeout: 5 minutes\n'), 'SPEC_DURATION');
    expect(where(d)).toBe('5:14 invalid duration: use 500ms, 30s, 5m, 1h, 1h30m or a number of seconds');
  });

  test('an invalid enum value suggests the closest', () => {
    const d = only(check('name: x\ntasks:\n  - id: p\n    type: parallel\n    wait_for: al\n    tasks: [{command: echo}]\n'), 'SPEC_INVALID_VALUE');
    expect(where(d)).toBe("5:15 expected one of all, any, first, got 'al' (did you mean 'all'?)");
  });

  test('loop items that are neither a list nor a template', () => {
    const d = only(check('name: x\ntasks:\n  - { id: l, type: loop, items: "a,b", task: { command: echo } }\n'), 'SPEC_INVALID_VALUE');
    expect(where(d)).toBe('3:33 loop items must be a list, or a ${ } template that gives one');
  });

  test('conflicting aliases', () => {
    const result = check('name: x\ntasks:\n  - id: a\n    command: echo\n    condition: "true"\n    if: "false"\n');
    expect(where(only(result, 'SPEC_CONFLICT'))).toBe('6:5 give either `condition` or `if` (its alias), not both');
  });

  test('every problem at once', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: a
          comand: echo
          timeout: soon
        - id: a
          command: echo
          depends_on: [zz]
    `);
    expect(codes(result)).toEqual(['SPEC_MISSING_FIELD', 'SPEC_UNKNOWN_FIELD', 'SPEC_DURATION', 'SPEC_DUPLICATE_ID', 'SPEC_UNKNOWN_TASK']);
  });
});

describe('shorthands and defaults', () => {
  test('type shell is implied by command; defaults are filled in', () => {
    const wf = valid(check('name: x\ntasks:\n  - id: a\n    command: echo hi\n'));
    expect(wf.tasks[0]).toEqual({
      id: 'a',
      explicit_id: true,
      type: 'shell',
      command: 'echo hi',
      depends_on: [],
      on_success: [],
      on_failure: [],
      outputs: {},
      live_output: false,
      continue_on_error: false,
      environment: {},
    });
    expect(wf).toMatchObject({ name: 'x', environment: {}, inputs: {}, callbacks: [], alerts: [], source: { file: 'flow.yaml', format: 'canonical' } });
  });

  test('retry shorthand, units and the if alias', () => {
    const wf = valid(check(yaml`
      name: x
      version: 1.10
      environment: { PORT: 8080, DEBUG: true }
      timeout: 1h
      inputs: { go: true }
      tasks:
        - id: a
          command: echo
          depends_on: []
          retry: 3
          timeout: 90
          if: inputs.go
        - id: b
          command: echo
          depends_on: a
          retry: { attempts: 5, delay: 2s, backoff: 3, max_delay: 1m, jitter: 0 }
    `));
    expect(wf.version).toBe('1.10');
    expect(wf.environment).toEqual({ PORT: '8080', DEBUG: 'true' });
    expect(wf.timeout).toBe(3_600_000);
    expect(wf.tasks[0]).toMatchObject({ timeout: 90_000, condition: 'inputs.go', retry: { attempts: 3, delay: 1000, backoff: 'exponential', factor: 2, jitter: 0.1 } });
    expect(wf.tasks[1]).toMatchObject({ depends_on: ['a'], retry: { attempts: 5, delay: 2000, backoff: 'exponential', factor: 3, max_delay: 60_000, jitter: 0 } });
  });

  test('retry with one attempt is no retry; retry without attempts warns', () => {
    const result = check('name: x\ntasks:\n  - id: a\n    command: echo\n    retry: { delay: 5s }\n');
    const wf = valid(result);
    expect(wf.tasks[0].retry).toBeUndefined();
    expect(where(only(result, 'SPEC_RETRY_NO_ATTEMPTS'))).toBe('5:5 retry has no `attempts`, so the task is tried once');
  });

  test('warns that retry on a composite does nothing, and drops it', () => {
    const result = check(yaml`
      name: w
      tasks:
        - id: p
          type: parallel
          retry: {attempts: 2}
          tasks:
            - command: echo
    `);
    expect(where(only(result, 'SPEC_RETRY_ON_COMPOSITE'))).toBe('5:5 retry has no effect on a parallel task');
    expect(valid(result).tasks[0].retry).toBeUndefined();
  });

  test('inputs: long form, shorthand default, and bare name', () => {
    const wf = valid(check(yaml`
      name: x
      inputs:
        env: { type: string, description: Target, default: qa }
        replicas: 3
        tag:
        config: { type: json }
      tasks: [{ id: a, command: echo }]
    `));
    expect(wf.inputs).toEqual({
      env: { type: 'string', description: 'Target', default: 'qa', required: false },
      replicas: { type: 'number', default: 3, required: false },
      tag: { type: 'string', required: true },
      config: { type: 'json', required: true },
    });
  });

  test('an input default of the wrong type', () => {
    const d = only(check('name: x\ninputs:\n  n: { type: number, default: "three" }\ntasks: [{ id: a, command: echo }]\n'), 'SPEC_TYPE');
    expect(where(d)).toBe("3:31 the default of input 'n' is a string, but its type is number");
  });

  test('http task normalization', () => {
    const wf = valid(check(yaml`
      name: x
      inputs: { path: health }
      secrets: [TOKEN]
      tasks:
        - id: ping
          type: http
          method: post
          url: https://example.com/\${ inputs.path }
          headers: { X-Count: 3 }
          data: { a: 1 }
          auth: { bearer: "\${ secrets.TOKEN }" }
          expect_status: 201
    `));
    expect(wf.tasks[0]).toMatchObject({ type: 'http', method: 'POST', headers: { 'X-Count': '3' }, body: { a: 1 }, auth: { bearer: '${ secrets.TOKEN }' }, expect_status: [201] });
  });

  test('script tasks: seed-style type aliases and language from the extension', () => {
    const wf = valid(check(yaml`
      name: x
      tasks:
        - id: a
          type: javascript
          script: scripts/process-data.js
        - id: b
          type: script
          script: tools/report.py
          args: [--out, 3]
        - id: c
          type: script
          language: typescript
          code: console.log(1)
    `));
    expect(wf.tasks.map((t) => (t.type === 'script' ? [t.language, t.script ?? t.code, t.args] : t.type))).toEqual([
      ['javascript', 'scripts/process-data.js', []],
      ['python', 'tools/report.py', ['--out', '3']],
      ['typescript', 'console.log(1)', []],
    ]);
  });

  test('script tasks: unknown extension, or both script and code', () => {
    const result = check('name: x\ntasks:\n  - { id: a, type: script, script: run.rb }\n  - { id: b, type: python, script: a.py, code: "print(1)" }\n');
    expect(where(only(result, 'SPEC_MISSING_FIELD'))).toBe("3:36 cannot tell the language of 'run.rb' from its extension");
    expect(where(only(result, 'SPEC_CONFLICT'))).toBe('4:42 give either `script` (a file) or `code` (inline), not both');
  });

  test('sleep and notifications defaults', () => {
    const wf = valid(check('name: x\nnotifications: { channels: [slack] }\ntasks:\n  - { id: nap, type: sleep, duration: 2 }\n'));
    expect(wf.tasks[0]).toMatchObject({ type: 'sleep', duration: 2000 });
    expect(wf.notifications).toEqual({ channels: ['slack'], on_completion: false, on_failure: true, on_success: false });
  });

  test('a leading $schema key is allowed', () => {
    valid(check('$schema: ../schema/workflow.schema.json\nname: x\ntasks: [{ id: a, command: echo }]\n'));
  });
});
