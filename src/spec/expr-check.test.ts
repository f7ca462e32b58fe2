import { describe, expect, test } from 'vitest';
import type { Diagnostic } from './diagnostics.js';
import { check, codes, only, valid, where, yaml } from './test-support.js';

const problems = (text: string): string[] => check(text).diagnostics.map((d: Diagnostic) => `${d.line}:${d.col} ${d.code} ${d.message}`);

describe('names an expression reads', () => {
  test('a misspelt context, spaced or not, in a command: did you mean', () => {
    const result = check(yaml`
      name: x
      inputs: { release: v1 }
      tasks:
        - id: a
          command: ./deploy.sh "\${ input.release }" \${input.release}
    `);
    expect(result.diagnostics.map(where)).toEqual([
      `5:30 'input' is not a context (did you mean 'inputs'?); the shell would stop with "Bad substitution"`,
      `5:49 'input' is not a context (did you mean 'inputs'?); the shell would stop with "Bad substitution"`,
    ]);
    expect(codes(result)).toEqual(['SPEC_UNKNOWN_CONTEXT', 'SPEC_UNKNOWN_CONTEXT']);
    expect(result.diagnostics[0].hint).toContain('contexts are env, inputs, tasks');
  });

  test('a word that is no context, inside an expression and in a condition', () => {
    expect(problems(yaml`
      name: x
      inputs: { go: true }
      tasks:
        - id: a
          command: echo \${ env.A == word.x }
          condition: Inputs.go == word.y
    `)).toEqual(["5:31 SPEC_UNKNOWN_CONTEXT 'word' is not a context", "6:29 SPEC_UNKNOWN_CONTEXT 'word' is not a context"]);
  });

  test('an input that is not declared, at the input name', () => {
    const d = only(check('name: x\ninputs: { release: v1 }\ntasks:\n  - { id: a, command: "echo ${ inputs.relase }" }\n'), 'SPEC_UNKNOWN_INPUT');
    expect(where(d)).toBe("4:39 input 'relase' is not declared (did you mean 'release'?)");
    expect(d.hint).toBe('declare it under `inputs:` (declared: release)');
    const none = only(check('name: x\ntasks:\n  - { id: a, command: "echo ${ inputs.who }" }\n'), 'SPEC_UNKNOWN_INPUT');
    expect(none.hint).toBe('the workflow declares no inputs: add `inputs: { who: ... }`');
  });

  test('inputs are matched without regard to case, as at run time; env may hold anything', () => {
    valid(check('name: x\ninputs: { Release: v1 }\ntasks:\n  - { id: a, command: "echo ${ inputs.release } ${ env.ANYTHING_AT_ALL }" }\n'));
  });

  test('a task that does not exist, and a property a task does not have', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: deploy
          command: echo
        - id: b
          depends_on: [deploy]
          command: echo \${ tasks.deplo.status } \${ tasks.deploy.output.v }
    `);
    expect(result.diagnostics.map(where)).toEqual([
      "7:28 tasks.deplo names no task (did you mean 'deploy'?)",
      "7:59 tasks.deploy has no 'output' (did you mean 'outputs'?)",
    ]);
    expect(codes(result)).toEqual(['SPEC_UNKNOWN_TASK', 'SPEC_UNKNOWN_PROPERTY']);
  });

  test('a secret that is not declared, run and workflow properties', () => {
    expect(problems(yaml`
      name: x
      secrets: [TOKEN]
      tasks:
        - { id: a, command: "echo \${ secrets.TOKN } \${ secrets.token } \${ run.idd } \${ workflow.name }" }
    `)).toEqual([
      "4:40 SPEC_UNKNOWN_SECRET secret 'TOKN' is not declared in `secrets:`, so secrets.TOKN is always empty (did you mean 'TOKEN'?)",
      "4:73 SPEC_UNKNOWN_PROPERTY run has no 'idd' (did you mean 'id'?)",
    ]);
  });

  test('contexts a task does not have: item outside a loop, result outside outputs; a task field of `trigger` outside a callback', () => {
    expect(problems(yaml`
      name: x
      tasks:
        - id: a
          command: echo \${ item.name } "\${ index }" \${ trigger.error } \${ result.stdout }
          outputs: { v: "\${ result.stdout }" }
    `)).toEqual([
      "4:22 SPEC_CONTEXT_UNAVAILABLE `item` is set only inside a loop, and 'a' is not in one",
      "4:38 SPEC_CONTEXT_UNAVAILABLE `index` is set only inside a loop, and 'a' is not in one",
      "4:58 SPEC_UNKNOWN_PROPERTY trigger has no 'error' (outside a callback, `trigger` is what fired the run)",
      "4:69 SPEC_CONTEXT_UNAVAILABLE `result` is set only in a task's `outputs:` templates",
    ]);
  });

  test('a task inside a loop has no task of its own at run time; its iterations do', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: each
          type: loop
          items: [qa, prod]
          task: { id: one, command: "echo \${ item } \${ index }" }
        - id: after
          depends_on: [each]
          command: echo \${ tasks.one.status } \${ tasks['each[qa]'].status } \${ tasks.each.outputs.results }
    `);
    expect(result.diagnostics.map(where)).toEqual(["9:28 there is no task 'one' at run time: it runs once per item of loop 'each', as 'each[<item>]'"]);
    expect(result.diagnostics[0].hint).toBe("read the loop's results instead: tasks.each.outputs.results");
  });

  test('a ${word.x} outside a command is text for another tool unless the word is close to a context', () => {
    expect(problems(yaml`
      name: x
      tasks:
        - id: a
          command: terraform apply -var 'region=\${var.region}'
          environment: { A: "\${var.region}", B: "\${inptus.x}" }
    `)).toEqual(["5:46 SPEC_UNKNOWN_CONTEXT 'inptus' is not a context (did you mean 'inputs'?), so it stays as text"]);
  });

  test('=== and !== get "use =="', () => {
    const d = only(check('name: x\ntasks:\n  - { id: a, command: echo, condition: "inputs.a === 1" }\ninputs: { a: 1 }\n'), 'SPEC_EXPR_SYNTAX');
    expect(d.message).toContain("Unexpected symbol: '='");
    expect(d.hint).toBe('Compare with == or != (there is no =, === or !==).');
    expect(only(check('name: x\ninputs: { a: 1 }\ntasks:\n  - { id: a, command: "echo ${ inputs.a !== 1 }" }\n'), 'SPEC_EXPR_SYNTAX').hint).toContain('==');
  });
});

describe('reading tasks.x needs x to have ended', () => {
  test('a task that reads tasks.x without depending on it: add x to depends_on', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - id: build
          command: echo
        - id: deploy
          condition: tasks.build.exit_code == 0
          command: echo
    `), 'SPEC_MISSING_DEPENDENCY');
    expect(where(d)).toBe("6:22 'deploy' reads tasks.build but does not wait for 'build': it can start before 'build' has ended, and then reads nothing");
    expect(d.hint).toBe('add build to depends_on');
  });

  test('directly, through dependencies, or through a composite that ended: valid', () => {
    valid(check(yaml`
      name: x
      tasks:
        - { id: a, command: echo }
        - { id: b, depends_on: [a], command: echo }
        - { id: c, depends_on: [b], command: "echo \${ tasks.a.outputs.stdout } \${ tasks.b.status }" }
        - id: p
          type: parallel
          depends_on: [a]
          tasks:
            - { id: p1, command: "echo \${ tasks.a.status }" }
            - { id: p2, depends_on: [p1], command: "echo \${ tasks.p1.status }" }
        - { id: after, depends_on: [p], command: "echo \${ tasks.p1.status } \${ tasks.p2.status } \${ tasks.a.status }" }
        - id: each
          type: loop
          depends_on: [b]
          items: "\${ fromJSON(tasks.a.outputs.stdout) }"
          task: { command: "echo \${ item } \${ tasks.b.status }" }
        - id: pick
          type: conditional
          depends_on: [c]
          condition: tasks.c.status == 'succeeded'
          then: { command: "echo \${ tasks.a.status }" }
        - id: cleanup
          depends_on: [each, pick]
          condition: always()
          command: echo \${ tasks.pick.status } \${ tasks.each.status }
    `));
  });

  test('callbacks: a callback of x may read x and what x waited for', () => {
    valid(check(yaml`
      name: x
      tasks:
        - { id: test, command: echo }
        - { id: deploy, depends_on: [test], command: echo, on_failure: [rollback], on_success: [notify] }
        - { id: rollback, command: "echo \${ tasks.deploy.error } \${ trigger.error } \${ tasks.test.status }" }
        - { id: notify, command: "echo \${ tasks.deploy.status }", on_success: [audit] }
        - { id: audit, command: "echo \${ tasks.notify.status } \${ tasks.deploy.status }" }
    `));
  });

  test('a callback reading a task its trigger does not wait for: add it to the trigger', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - { id: other, command: echo }
        - { id: deploy, command: echo, on_failure: [rollback] }
        - { id: rollback, command: "echo \${ tasks.other.status }" }
    `), 'SPEC_MISSING_DEPENDENCY');
    expect(d.hint).toBe("add other to depends_on of 'deploy': a callback starts when the task that triggers it ends");
  });

  test('a callback two tasks name must come after x whichever triggers it', () => {
    const result = check(yaml`
      name: x
      tasks:
        - { id: a, command: echo, on_failure: [undo] }
        - { id: b, depends_on: [a], command: echo, on_failure: [undo] }
        - { id: undo, command: "echo \${ tasks.a.status } \${ tasks.b.status }" }
    `);
    // Triggered by a, b may not have run; triggered by b, a has ended (b waited for it).
    expect(result.diagnostics.map(where)).toEqual(["5:61 'undo' reads tasks.b but does not wait for 'b': it can start before 'b' has ended, and then reads nothing"]);
  });

  test('clean-up with always() is judged the same way', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - { id: work, command: echo }
        - { id: cleanup, condition: always(), command: "echo \${ tasks.work.status }" }
    `), 'SPEC_MISSING_DEPENDENCY');
    expect(d.hint).toBe('add work to depends_on');
  });

  test('inside composites: siblings, the composite itself, and what starts a loop', () => {
    const result = check(yaml`
      name: x
      tasks:
        - { id: a, command: echo }
        - id: p
          type: parallel
          tasks:
            - { id: p1, command: echo }
            - { id: p2, command: "echo \${ tasks.p1.status } \${ tasks.p.status }" }
        - id: each
          type: loop
          items: [1, 2]
          task: { command: "echo \${ tasks.a.status }" }
        - { id: self, command: echo, outputs: { v: "\${ tasks.self.status }" } }
    `);
    expect(result.diagnostics.map((d) => `${where(d)} | ${d.hint}`)).toEqual([
      "8:43 'p2' reads tasks.p1 but does not wait for 'p1': it can start before 'p1' has ended, and then reads nothing | add p1 to depends_on",
      "8:64 'p2' is inside 'p', which ends only after the tasks inside it, so tasks.p is empty here | read tasks.p from a task that has p in its depends_on",
      "12:37 'each[item]' reads tasks.a but does not wait for 'a': it can start before 'a' has ended, and then reads nothing | add a to depends_on of 'each', which starts 'each[item]'",
      "13:56 'self' reads its own tasks.self, which is set only after it has ended | in its `outputs:`, read `result` (what the task returned) instead",
    ]);
  });

  test("the workflow's environment is worked out before any task", () => {
    expect(where(only(check('name: x\nenvironment: { V: "${ tasks.a.outputs.v }" }\ntasks: [{ id: a, command: echo }]\n'), 'SPEC_MISSING_DEPENDENCY'))).toBe(
      "2:29 the workflow's environment is worked out before any task runs, so tasks.a is empty there",
    );
  });

  test('a 400 KB command with 40,000 problems is checked in one pass, not one per problem', () => {
    const command = '${ foo } '.repeat(45_000);
    const started = Date.now();
    const result = check(`name: x\ntasks:\n  - id: a\n    command: "${command}"\n`);
    // Was 100 s: placing each problem in the file re-read the whole string.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.diagnostics).toHaveLength(201);
    expect(result.diagnostics.slice(0, 2)).toMatchObject([
      { code: 'SPEC_UNKNOWN_CONTEXT', line: 4, col: 18 },
      { code: 'SPEC_UNKNOWN_CONTEXT', line: 4, col: 27 },
    ]);
  }, 60_000);

  test('a long chain stays fast: the search is bounded', () => {
    const lines = ['name: chain', 'tasks:'];
    for (let i = 0; i < 3000; i++) lines.push(`  - { id: t${i}, command: "echo \${ tasks.t0.status }"${i === 0 ? '' : `, depends_on: [t${i - 1}]`} }`);
    const result = check(lines.join('\n'));
    expect(result.diagnostics.map((d) => d.message)).toEqual(["'t0' reads its own tasks.t0, which is set only after it has ended"]);
  });
});

describe('a bare ${name} in a command', () => {
  test('outside a loop, ${result}, ${item}, ${index}, ${run} are shell variables: nothing to report', () => {
    valid(check(yaml`
      name: x
      tasks:
        - id: a
          command: result=hello; index=1; echo "\${result} \${index} \${item} \${run}"
    `));
  });

  test('spaced, a whole context is read: an http body of all the inputs', () => {
    valid(check('name: x\ninputs: { a: 1 }\ntasks:\n  - { id: h, type: http, method: POST, url: "http://127.0.0.1/x", body: "${ inputs }" }\n'));
  });

  test('inside a loop, a bare ${item} the command also sets is a warning', () => {
    const result = check(yaml`
      name: x
      tasks:
        - id: each
          type: loop
          items: [a, b]
          task:
            command: item=3; for index in 1 2; do echo \${item} \${index} \${ item }; done
    `);
    expect(result.workflow).toBeDefined();
    expect(result.diagnostics.map((d) => `${d.severity} ${where(d)}`)).toEqual([
      "warning 7:52 ${item} is the loop's item here, not the shell variable item this command sets",
      "warning 7:60 ${index} is the loop's index here, not the shell variable index this command sets",
    ]);
    expect(result.diagnostics[0].hint).toContain('$item');
  });
});
