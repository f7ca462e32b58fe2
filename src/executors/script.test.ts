import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ScriptTask } from '../spec/model.js';
import { createScriptExecutor, script } from './script.js';
import { isAlive, rejection, testIO, waitFor } from './test-support.js';
import { taskDefaults } from '../spec/task-defaults.js';

function task(language: ScriptTask['language'], source: { code?: string; script?: string }, extra: Partial<ScriptTask> = {}): ScriptTask {
  return {
    id: 's',
    explicit_id: true,
    type: 'script',
    language,
    ...source,
    args: [],
    inputs: {},
    ...taskDefaults(),
    ...extra,
  };
}

const never = new AbortController().signal;
const inputs = { name: 'web', replicas: 3, tags: ['a', 'b'] };

describe('script executor', () => {
  it('runs inline JavaScript with inputs from $BATON_INPUTS and stdin, outputs via $BATON_OUTPUT', async () => {
    const code = `
      const fs = await import('node:fs');
      const fromFile = JSON.parse(fs.readFileSync(process.env.BATON_INPUTS, 'utf8'));
      const fromStdin = JSON.parse(fs.readFileSync(0, 'utf8'));
      fs.writeFileSync(process.env.BATON_OUTPUT, JSON.stringify({
        same: JSON.stringify(fromFile) === JSON.stringify(fromStdin),
        replicas: fromFile.replicas * 2,
        task: process.env.BATON_TASK,
      }));
      console.log('done');`;
    const result = await script.run(task('javascript', { code }, { inputs }), testIO(), never);
    expect(result).toEqual({ outputs: { same: true, replicas: 6, task: 'task-a', stdout: 'done' }, exit_code: 0 });
  });

  it('runs inline TypeScript (ESM, top-level await) with tsx', async () => {
    const code = `
      import { readFileSync } from 'node:fs';
      interface Inputs { name: string; replicas: number }
      const input: Inputs = JSON.parse(readFileSync(process.env.BATON_INPUTS as string, 'utf8'));
      const doubled: number = await Promise.resolve(input.replicas * 2);
      console.log('working');
      console.log(JSON.stringify({ service: input.name, doubled }));`;
    const result = await script.run(task('typescript', { code }, { inputs }), testIO(), never);
    expect(result.outputs).toMatchObject({ service: 'web', doubled: 6 });
  });

  it('runs inline Python, reading inputs on stdin and printing a JSON line', async () => {
    const code = [
      'import json, sys, os',
      'data = json.load(sys.stdin)',
      'print("log line")',
      'print(json.dumps({"tags": data["tags"], "attempt": os.environ["BATON_ATTEMPT"], "args": sys.argv[1:]}))',
    ].join('\n');
    const result = await script.run(task('python', { code }, { inputs, args: ['--dry-run', 'x y'] }), testIO(), never);
    expect(result.outputs).toMatchObject({ tags: ['a', 'b'], attempt: '1', args: ['--dry-run', 'x y'] });
  });

  it('runs a script file relative to the workflow folder, with args and cwd', async () => {
    const io = testIO();
    mkdirSync(join(io.baseDir, 'scripts'));
    mkdirSync(join(io.baseDir, 'work'));
    writeFileSync(
      join(io.baseDir, 'scripts', 'greet.js'),
      `require('fs').appendFileSync(process.env.BATON_OUTPUT, 'greeting=hello ' + process.argv[2] + '\\ncwd=' + process.cwd() + '\\n');`,
    );
    const result = await script.run(task('javascript', { script: 'scripts/greet.js' }, { args: ['ops'], cwd: 'work' }), io, never);
    expect(result.outputs).toMatchObject({ greeting: 'hello ops', cwd: join(io.baseDir, 'work') });
  });

  it('keeps plain stdout as the stdout output when no outputs are written', async () => {
    const result = await script.run(task('python', { code: 'print("not json")\nprint("[1, 2]")' }), testIO(), never);
    expect(result.outputs).toEqual({ stdout: 'not json\n[1, 2]' });
  });

  it('fails with EXEC_SPAWN for a missing script file or interpreter', async () => {
    const missing = await rejection(script.run(task('python', { script: 'nope.py' }), testIO(), never));
    expect(missing).toMatchObject({ code: 'EXEC_SPAWN', retryable: false });
    expect(missing.message).toMatch(/script file not found: .*nope\.py/);

    const noPython = createScriptExecutor({ python: 'python-does-not-exist-xyz' });
    const err = await rejection(noPython.run(task('python', { code: 'print(1)' }), testIO(), never));
    expect(err).toMatchObject({ code: 'EXEC_SPAWN' });
    expect(err.message).toContain('PATH');
  });

  it('fails with EXEC_EXIT_CODE and the error output when the script fails', async () => {
    const err = await rejection(script.run(task('javascript', { code: 'throw new Error("bad input")' }), testIO(), never));
    expect(err).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 1, retryable: true });
    expect(err.message).toBe('script exited with code 1');
    expect(err.stderr_tail).toContain('bad input');
  });

  it('fails with SCRIPT_OUTPUT when $BATON_OUTPUT holds bad JSON', async () => {
    const code = `require('fs').writeFileSync(process.env.BATON_OUTPUT, '{"a": }')`;
    await expect(script.run(task('javascript', { code }), testIO(), never)).rejects.toMatchObject({ code: 'SCRIPT_OUTPUT' });
  });

  it('is stopped with its process group on abort', async () => {
    const io = testIO();
    const pidFile = join(io.baseDir, 'pid');
    const code = [
      'import subprocess, os, time',
      'child = subprocess.Popen(["sleep", "30"])',
      `open(${JSON.stringify(pidFile)}, "w").write(f"{os.getpid()} {child.pid}")`,
      'time.sleep(30)',
    ].join('\n');
    const controller = new AbortController();
    const running = script.run(task('python', { code }), io, controller.signal);
    await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '));
    const pids = readFileSync(pidFile, 'utf8').split(' ').map(Number);
    controller.abort('timeout');
    await expect(running).rejects.toMatchObject({ code: 'EXEC_ABORTED', cause: 'timeout' });
    await waitFor(() => pids.every((pid) => !isAlive(pid)), 2_000);
  });
});
