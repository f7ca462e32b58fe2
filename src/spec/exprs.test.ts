import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

describe('expressions are checked at load time, with file positions', () => {
  test('in a plain command', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo ${ 1 + } done\n'), 'SPEC_EXPR_SYNTAX');
    expect(d).toMatchObject({ line: 4, col: 24 });
    expect(d.message).toContain("Unexpected symbol: '+'");
    expect(d.path).toBe('tasks[0].command');
  });

  test('in a double-quoted string with escapes before the error', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: "printf \\"%s\\" ${ 1 + }"\n'), 'SPEC_EXPR_SYNTAX');
    expect(d).toMatchObject({ line: 4, col: 34 });
  });

  test('in a literal block', () => {
    const d = only(check(yaml`
      name: x
      tasks:
        - id: a
          command: |
            set -e
            echo \${ 1 + }
    `), 'SPEC_EXPR_SYNTAX');
    expect(d).toMatchObject({ line: 6, col: 17 });
  });

  test('in a folded block: at the start of the string', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: >\n      echo\n      ${ 1 + }\n'), 'SPEC_EXPR_SYNTAX');
    expect(d).toMatchObject({ line: 4, col: 14 });
  });

  test('in a condition, where the whole string is one expression', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo\n    condition: "inputs.a == "\n'), 'SPEC_EXPR_SYNTAX');
    expect(d).toMatchObject({ line: 5, col: 26 });
    expect(d.message).toContain('Unexpected end of expression');
  });

  test('in the other templated fields', () => {
    const result = check(yaml`
      name: x
      environment: { A: "\${ 1 + }" }
      tasks:
        - id: h
          type: http
          url: "https://x/\${ 1 + }"
          headers: { X: "\${ 1 + }" }
          body: { nested: ["\${ 1 + }"] }
          outputs: { o: "\${ 1 + }" }
          cwd: "\${ 1 + }"
        - id: l
          type: loop
          items: "\${ 1 + }"
          task: { command: echo }
        - id: c
          type: conditional
          condition: "1 +"
          then: { type: noop }
    `);
    expect(result.diagnostics.map((d) => `${d.line} ${d.path}`)).toEqual([
      '2 environment.A',
      '6 tasks[0].url',
      '7 tasks[0].headers.X',
      '8 tasks[0].body.nested[0]',
      '9 tasks[0].outputs.o',
      '10 tasks[0].cwd',
      '13 tasks[1].items',
      '17 tasks[2].condition',
    ]);
    expect(new Set(codes(result))).toEqual(new Set(['SPEC_EXPR_SYNTAX']));
  });

  test('the seed forms are valid; shell variables are left alone; alert conditions are not checked', () => {
    valid(check(yaml`
      name: x
      tasks:
        - id: test
          command: echo $HOME \${HOME} \${PATH:-/bin}
          condition: "\${env.SKIP_TESTS} != 'true'"
        - id: c
          type: conditional
          depends_on: [test]
          condition: "\${tasks.test.exit_code} == 0 && \${env.DEPLOY_ENABLED} == 'true'"
          then: { command: "echo deploy" }
      alerts:
        - { name: slow, condition: "execution.duration > workflow.expected_duration * 2", template: "took \${execution.duration}ms" }
    `));
  });
});

describe('command-not-on-PATH warning', () => {
  const isOnPath = (program: string): boolean => ['echo', 'npm', 'node'].includes(program);

  test('a program that is not on PATH is a warning, not an error', () => {
    const result = check('name: x\ntasks:\n  - id: a\n    command: FOO=1 BAR=2 nmp run build\n', 'flow.yaml', { isOnPath });
    expect(result.workflow).toBeDefined();
    const d = only(result, 'SPEC_PROGRAM_NOT_FOUND');
    expect(d.severity).toBe('warning');
    expect(where(d)).toBe("4:26 program 'nmp' is not on PATH");
  });

  test.each([
    ['cd build && make'],
    ['export A=1; foo'],
    ['$TOOL run'],
    ['./scripts/deploy.sh'],
    ['"quoted" arg'],
    ['if true; then x; fi'],
    ['[ -f x ] && y'],
    ['A=1'],
    ['npm test'],
  ])('%s is not checked or is found', (command) => {
    const result = check(`name: x\ntasks:\n  - id: a\n    command: '${command}'\n`, 'flow.yaml', { isOnPath });
    expect(codes(result)).toEqual([]);
  });

  test.each([
    ['f="/tmp/${ inputs.host }"; echo "$f"'],
    ["msg='a b' x=\"${ inputs.host } y\" printf '%s' \"$msg\""],
    ['${ inputs.host } --flag'],
    ['A=$(echo a b) B=${ format(\'{0} {1}\', inputs.host, 1) } echo'],
  ])('an expression with spaces inside an assignment is one word: %s', (command) => {
    const result = check(`name: x\ninputs: { host: h }\ntasks:\n  - id: a\n    command: '${command.replaceAll("'", "''")}'\n`, 'flow.yaml', { isOnPath });
    expect(result.diagnostics).toEqual([]);
  });

  test('the program after quoted assignments is still checked', () => {
    const result = check(`name: x\ninputs: { host: h }\ntasks:\n  - id: a\n    command: 'f="/tmp/\${ inputs.host } x" nmp run'\n`, 'flow.yaml', { isOnPath });
    expect(where(only(result, 'SPEC_PROGRAM_NOT_FOUND'))).toBe("5:43 program 'nmp' is not on PATH");
  });

  test('without isOnPath there is no check', () => {
    expect(codes(check('name: x\ntasks:\n  - { id: a, command: nosuchprogram }\n'))).toEqual([]);
  });
});
