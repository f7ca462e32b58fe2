import { describe, expect, test, vi } from 'vitest';
import { Alias } from 'yaml';
import { parseWorkflow } from './load.js';
import { MAX_TASK_DEPTH } from './normalize-task.js';
import { MAX_ALIAS_VALUES } from './source.js';
import { check, codes, only, valid, where } from './test-support.js';

describe('syntax errors', () => {
  test('a YAML syntax error has its position, and stops there', () => {
    const result = check('name: x\ntasks:\n  - id: a\n    command: "echo\n');
    expect(codes(result)).toEqual(['SPEC_YAML_SYNTAX']);
    expect(where(result.diagnostics[0])).toBe('4:14 this double-quoted string is never closed');
    expect(where(check('a: [1, 2\nb: 3\n').diagnostics[0])).toBe('2:1 Flow sequence in block collection must be sufficiently indented and end with a ]');
  });

  test('an unquoted `: ` in a command: quote the command', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo note: this breaks\n'), 'SPEC_YAML_SYNTAX');
    expect(where(d)).toBe('4:23 `: ` inside the value of `command` starts a mapping, which YAML does not allow there');
    expect(d.hint).toBe("quote the command: command: 'echo note: this breaks'");
    expect(only(check("name: x\ntasks:\n  - id: a\n    command: echo it's: here\n"), 'SPEC_YAML_SYNTAX').hint).toBe('quote the command: command: "echo it\'s: here"');
  });

  test('a key dedented out of the empty key it belongs to: indent it under that key', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo hi\n    retry:\n  attempts: 3\n'), 'SPEC_YAML_SYNTAX');
    expect(where(d)).toBe('6:3 `attempts` is not lined up with the keys around it');
    expect(d.hint).toBe('if it belongs to `retry:` (line 5), indent it under `retry:`, by more than 4 spaces');
  });

  test('a key one column off its neighbours: line it up', () => {
    const d = only(check('name: x\ntasks:\n  - id: a\n    command: echo hi\n    retry:\n      attempts: 3\n     delay: 2s\n'), 'SPEC_YAML_SYNTAX');
    expect(where(d)).toBe('7:6 `delay` is not lined up with the keys around it');
    expect(d.hint).toBe('keys of one mapping start at the same column: line it up with `attempts:` on line 6 (column 7)');
  });

  test('a key at the same column as the empty key above it: the schema problems say to indent it', () => {
    const result = check('name: x\ntasks:\n  - id: a\n    command: echo hi\n    retry:\n    attempts: 3\n');
    expect(only(result, 'SPEC_UNKNOWN_FIELD').hint).toBe('if it belongs to `retry:` (empty just above it), indent it under `retry:`');
    expect(only(result, 'SPEC_TYPE').hint).toBe('if the lines below belong to `retry:`, indent them under it');
  });

  test('a duplicate key', () => {
    expect(where(only(check('name: x\nname: y\ntasks: []\n'), 'SPEC_DUPLICATE_KEY'))).toBe('2:1 duplicate key: each key may appear once in a mapping');
  });

  test.each([
    ['{\n  "name": "x",\n  "tasks": [ }\n', "3:14 invalid JSON: expected a value, got '}'"],
    ['{"tasks": [1, ]}', "1:15 invalid JSON: expected a value, got ']' (JSON allows no comma before a closing bracket)"],
    ['{\n  "name": "x",\n  "tasks": [],\n}\n', "4:1 invalid JSON: expected a double-quoted property name, got '}' (JSON allows no comma before a closing brace)"],
    ['{\n  "name": "x"\n  "tasks": []\n}\n', "3:3 invalid JSON: expected ',' or '}', got '\"'"],
    ['{"name": tru}', "1:10 invalid JSON: expected a value, got 't'"],
    ['{"name": "x",\n "tasks": [\n', '3:1 invalid JSON: unexpected end of file'],
    ['{"name": "a\tb"}', '1:12 invalid JSON: a string may not contain a line break or control character (use \\n)'],
  ])('JSON syntax error %#', (text, expected) => {
    const result = check(text, 'flow.json');
    expect(codes(result)).toEqual(['SPEC_JSON_SYNTAX']);
    expect(where(result.diagnostics[0])).toBe(expected);
  });

  test('broken JSON in a file not named .json still gets a JSON position', () => {
    const result = check('{"name": "x",\n "tasks": [{"id": "a" "command": "echo"}]}\n', 'stdin');
    expect(result.diagnostics.map(where)).toEqual(["2:23 invalid JSON: expected ',' or '}', got '\"'"]);
  });

  test('valid JSON loads', () => {
    const wf = valid(check('{"name": "x", "tasks": [{"id": "a", "command": "echo"}]}', 'flow.json'));
    expect(wf.tasks[0].id).toBe('a');
  });

  test('an empty file, and a file that is not a mapping', () => {
    expect(where(only(check('# nothing here\n'), 'SPEC_EMPTY'))).toBe('1:1 the file is empty');
    expect(where(only(check('- a\n- b\n'), 'SPEC_TYPE'))).toBe('1:1 expected a mapping (name, tasks, ...) at the top level, got a list');
  });

  test('a byte order mark is ignored', () => {
    valid(check('\ufeffname: x\ntasks: [{ id: a, command: echo }]\n'));
  });
});

describe('limits', () => {
  test('a 5 MB workflow loads', () => {
    const lines = ['name: big', 'tasks:'];
    let size = 0;
    for (let i = 0; size < 5 * 1024 * 1024; i++) {
      const line = `  - { id: t${i}, command: "echo ${'x'.repeat(40)} ${i}", depends_on: [${i === 0 ? '' : `t${i - 1}`}] }`;
      lines.push(line);
      size += line.length + 1;
    }
    const wf = valid(parseWorkflow(lines.join('\n'), 'big.yaml'));
    expect(wf.tasks.length).toBe(lines.length - 2);
  }, 60_000);

  test('a file over 10 MB is refused before parsing', () => {
    const text = `name: huge\ndescription: "${'x'.repeat(10 * 1024 * 1024)}"\ntasks: [{ id: a, command: echo }]\n`;
    const d = only(parseWorkflow(text, 'huge.yaml'), 'SPEC_FILE_TOO_LARGE');
    expect(where(d)).toBe('1:1 the file is 10.0 MB; the limit is 10.0 MB');
  });

  test('200 nested parallels are refused at the 33rd level', () => {
    let task = '{ command: echo }';
    for (let i = 199; i >= 0; i--) task = `{ id: p${i}, type: parallel, tasks: [${task}] }`;
    const result = parseWorkflow(`name: deep\ntasks:\n  - ${task}\n`, 'deep.yaml');
    expect(result.workflow).toBeUndefined();
    const deep = result.diagnostics.filter((d) => d.code === 'SPEC_TOO_DEEP');
    expect(deep.length).toBeGreaterThan(0);
    expect(deep.some((d) => d.message === `tasks are nested more than ${MAX_TASK_DEPTH} levels deep`)).toBe(true);
  });

  test('200 nested parallels in block YAML, one per level', () => {
    const lines = ['name: deep', 'tasks:'];
    let indent = '  ';
    for (let i = 0; i < 200; i++) {
      lines.push(`${indent}- id: p${i}`, `${indent}  type: parallel`, `${indent}  tasks:`);
      indent += '    ';
    }
    lines.push(`${indent}- command: echo`);
    const result = parseWorkflow(lines.join('\n'), 'deep.yaml');
    expect(result.workflow).toBeUndefined();
    const tooDeep = result.diagnostics.find((d) => d.code === 'SPEC_TOO_DEEP' && d.message.startsWith('tasks are nested'));
    // p32 is the 33rd level: its `tasks:` key is on line 2 + 32 * 3 + 3.
    expect(tooDeep).toMatchObject({ line: 2 + 32 * 3 + 3, col: 3 + 32 * 4 + 2 });
  });

  test('200-deep nested mappings are refused, not recursed into', () => {
    let text = 'name: deep\ntasks: [{ id: a, command: echo }]\ninputs:\n  x:\n    default:\n';
    let indent = '      ';
    for (let i = 0; i < 200; i++) {
      text += `${indent}k${i}:\n`;
      indent += '  ';
    }
    text += `${indent}leaf: 1\n`;
    const d = only(parseWorkflow(text, 'deep.yaml'), 'SPEC_TOO_DEEP');
    expect(d.message).toBe('the file is nested too deeply (more than 128 levels)');
  });

  test('100,000 nested brackets do not overflow the stack', () => {
    const text = `name: x\ntasks: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const result = parseWorkflow(text, 'deep.yaml');
    expect(result.workflow).toBeUndefined();
    expect(codes(result)).toContain('SPEC_TOO_DEEP');
    const json = parseWorkflow(`{"name": "x", "tasks": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'deep.json');
    expect(json.workflow).toBeUndefined();
    expect(json.diagnostics.length).toBeGreaterThan(0);
  });

  test('a 140 KB file with thousands of aliases in depends_on validates quickly, without a document walk per alias', () => {
    const resolve = vi.spyOn(Alias.prototype, 'resolve');
    const ids = Array.from({ length: 100 }, (_, i) => `base${i}`);
    const lines = ['name: aliases', 'tasks:', ...ids.map((id) => `  - { id: ${id}, command: "true" }`), `  - { id: gate, command: "true", depends_on: &deps [${ids.join(', ')}] }`];
    for (let i = 0; i < 2000; i++) lines.push(`  - { id: task${i}, command: "true", depends_on: *deps }`);
    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(100_000);
    const started = Date.now();
    const wf = valid(parseWorkflow(text, 'aliases.yaml'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(wf.tasks.at(-1)!.depends_on).toHaveLength(100);
    expect(resolve).not.toHaveBeenCalled();
    resolve.mockRestore();
  }, 30_000);

  test('aliases that expand past the limit are refused with a clear error', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `t${i}`);
    const lines = ['name: aliases', `x-ids: &ids [${ids.join(', ')}]`, 'tasks:'];
    for (let i = 0; i < 300; i++) lines.push(`  - { id: task${i}, command: "true", depends_on: *ids }`);
    const d = only(parseWorkflow(lines.join('\n'), 'aliases.yaml'), 'SPEC_FILE_TOO_LARGE');
    expect(d.message).toBe(`the YAML aliases (*name) in this file expand to more than ${MAX_ALIAS_VALUES} values`);
    // Each use adds the list and its 1,000 ids; the task on line 4 + i is the (i + 1)th use.
    expect(d.line).toBe(4 + Math.floor(MAX_ALIAS_VALUES / 1001));
  });

  test('an alias with no anchor before it, or inside its own anchor', () => {
    expect(where(only(check('name: x\ntasks: [{ id: a, command: echo, depends_on: *nope }]\n'), 'SPEC_YAML_ALIAS'))).toBe('2:45 the alias *nope refers to no anchor &nope before it');
    expect(where(only(check('name: x\ndescription: &d [*d]\ntasks: [{ id: a, command: echo }]\n'), 'SPEC_YAML_ALIAS'))).toBe('2:18 the alias *d is inside the value it refers to');
  });

  test('an alias bomb is refused', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('name: bomb', 'tasks: [{ id: a, command: echo, args: *a8 }]');
    const result = parseWorkflow(lines.join('\n'), 'bomb.yaml');
    expect(result.workflow).toBeUndefined();
    expect(codes(result)).toEqual(['SPEC_FILE_TOO_LARGE']);
  });
});
