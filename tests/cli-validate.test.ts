/**
 * `baton validate` through the built CLI: what used to pass validation and then fail (or
 * quietly do the wrong thing) in a run is now reported with file:line:col and a hint.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, baton, tempDir, writeWorkflow } from './helpers.js';

interface Diagnostic {
  severity: string;
  code: string;
  message: string;
  hint?: string;
  line: number;
  col: number;
}

function validateJson(file: string): { status: number | null; diagnostics: Diagnostic[] } {
  const r = baton(['validate', '--json', file]);
  return { status: r.status, diagnostics: (JSON.parse(r.stdout) as { files: Array<{ diagnostics: Diagnostic[] }> }).files[0].diagnostics };
}

describe('baton validate catches what fails later', () => {
  it('misspelt contexts, undeclared inputs, unknown tasks and a task that does not wait for the one it reads', () => {
    const file = writeWorkflow(`name: deploy
inputs:
  release: v1
tasks:
  - id: deploy
    command: ./deploy.sh "\${ input.release }" \${ inputs.relase }
  - id: report
    condition: tasks.deploy.exit_code == 0
    command: echo \${ tasks.deplo.status }
`);
    const r = baton(['validate', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file}:6:30: error SPEC_UNKNOWN_CONTEXT: 'input' is not a context (did you mean 'inputs'?)`);
    expect(r.stdout).toContain(`${file}:6:57: error SPEC_UNKNOWN_INPUT: input 'relase' is not declared (did you mean 'release'?)`);
    expect(r.stdout).toContain(`${file}:8:22: error SPEC_MISSING_DEPENDENCY: 'report' reads tasks.deploy but does not wait for 'deploy'`);
    expect(r.stdout).toContain('  hint: add deploy to depends_on');
    expect(r.stdout).toContain(`${file}:9:28: error SPEC_UNKNOWN_TASK: tasks.deplo names no task (did you mean 'deploy'?)`);
    expect(r.stdout).toContain(`${file}: 4 errors`);
    // `run` checks the same way and starts nothing.
    const run = baton(['run', file]);
    expect(run.status).toBe(2);
    expect(run.stdout + run.stderr).toContain('SPEC_MISSING_DEPENDENCY');
  });

  it('a bare ${result} in a command is the shell variable, in validate and in the run alike', () => {
    const file = writeWorkflow(`name: shell-vars
tasks:
  - id: plain
    command: result=hello; run=fast; echo "\${result} \${run}"
  - id: each
    type: loop
    items: [qa]
    task:
      command: echo "\${item} \${index}"
`);
    expect(validateJson(file)).toEqual({ status: 0, diagnostics: [] });
    const r = baton(['run', '--json', file]);
    expect(r.status, r.stderr).toBe(0);
    const tasks = (JSON.parse(r.stdout) as { tasks: Array<{ id: string; outputs?: { stdout?: string } }> }).tasks;
    expect(tasks.find((t) => t.id === 'plain')?.outputs?.stdout).toBe('hello fast');
    expect(tasks.find((t) => t.id === 'each[qa]')?.outputs?.stdout).toBe('qa 0');
  });

  it('a bare ${item} that the command also sets is a warning', () => {
    const file = writeWorkflow(`name: loop
tasks:
  - id: each
    type: loop
    items: [a]
    task:
      command: item=local; echo \${item}
`);
    const r = baton(['validate', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${file}:7:35: warning SPEC_SHELL_VARIABLE_IS_CONTEXT: \${item} is the loop's item here, not the shell variable item this command sets`);
  });

  it('no program-not-on-PATH warning for an expression inside an assignment', () => {
    const file = writeWorkflow(`name: quiet\ninputs: { host: h }\ntasks:\n  - id: a\n    command: f="/tmp/\${ inputs.host }"; echo "$f"\n`);
    expect(validateJson(file)).toEqual({ status: 0, diagnostics: [] });
  });

  it('YAML mistakes get hints', () => {
    const colon = writeWorkflow('name: x\ntasks:\n  - id: a\n    command: echo note: this breaks\n');
    const r = baton(['validate', colon]);
    expect(r.stdout).toContain(`${colon}:4:23: error SPEC_YAML_SYNTAX: \`: \` inside the value of \`command\` starts a mapping`);
    expect(r.stdout).toContain("  hint: quote the command: command: 'echo note: this breaks'");
    const dedent = writeWorkflow('name: x\ntasks:\n  - id: a\n    command: echo\n    retry:\n  attempts: 3\n');
    expect(baton(['validate', dedent]).stdout).toContain('  hint: if it belongs to `retry:` (line 5), indent it under `retry:`');
    const triple = writeWorkflow('name: x\ninputs: { n: 1 }\ntasks:\n  - { id: a, command: echo, condition: "inputs.n === 1" }\n');
    expect(baton(['validate', triple]).stdout).toContain('  hint: Compare with == or != (there is no =, === or !==).');
  });

  it('a file that is not UTF-8 is refused at its first bad byte; UTF-16 is named', () => {
    const dir = tempDir();
    const latin1 = path.join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.concat([Buffer.from('name: x\ntasks:\n  - id: a\n    command: echo caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    const r = baton(['validate', latin1]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${latin1}:4:22: error SPEC_ENCODING: the file is not UTF-8: byte 0xE9 at line 4, column 22 (byte offset 46) is not valid UTF-8`);
    const utf16 = path.join(dir, 'utf16.yaml');
    writeFileSync(utf16, Buffer.from('name: x\ntasks:\n  - { id: a, command: echo }\n', 'utf16le'));
    expect(baton(['validate', utf16]).stdout).toContain(`${utf16}:1:1: error SPEC_ENCODING: the file is UTF-16 (little-endian, without a byte order mark); workflow files must be UTF-8`);
  });

  it('a 140 KB file of aliases in depends_on validates in bounded time', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `base${i}`);
    const lines = ['name: aliases', 'tasks:', ...ids.map((id) => `  - { id: ${id}, command: "true" }`), `  - { id: gate, command: "true", depends_on: &deps [${ids.join(', ')}] }`];
    for (let i = 0; i < 2000; i++) lines.push(`  - { id: task${i}, command: "true", depends_on: *deps }`);
    const file = writeWorkflow(lines.join('\n'));
    const started = Date.now();
    const r = baton(['validate', file]);
    expect(r.stdout).toContain(`${file}: valid`);
    // Was 18 s (a document walk per alias); generous for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('a 100 KB expression is not echoed whole', () => {
    const r = baton(['eval', `${'x'.repeat(100_000)} == 1 2`]);
    expect(r.status).toBe(2);
    expect(r.stderr.length).toBeLessThan(1_000);
    expect(r.stderr).toContain('(100007 characters)');
  });

  it('every bundled example and spec fixture still validates', () => {
    const files = [
      ...readdirSync(path.join(ROOT, 'examples')).filter((f) => /\.(ya?ml|json)$/.test(f)).map((f) => path.join(ROOT, 'examples', f)),
      ...readdirSync(path.join(ROOT, 'src/spec/fixtures')).map((f) => path.join(ROOT, 'src/spec/fixtures', f)),
    ];
    expect(files.length).toBeGreaterThan(10);
    const r = baton(['validate', '--json', ...files]);
    const result = JSON.parse(r.stdout) as { valid: boolean; files: Array<{ file: string; diagnostics: Diagnostic[] }> };
    const errors = result.files.flatMap((f) => f.diagnostics.filter((d) => d.severity === 'error').map((d) => `${f.file}:${d.line}:${d.col} ${d.code} ${d.message}`));
    expect(errors).toEqual([]);
    expect(r.status).toBe(0);
  });
});
