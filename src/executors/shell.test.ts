import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExecutorError } from './errors.js';
import { createShellExecutor, shell } from './shell.js';
import type { ShellTask } from '../spec/model.js';
import { rejection, shellTask, testIO } from './test-support.js';

const task = shellTask;

const run = (command: string, extra: Partial<ShellTask> = {}, io = testIO()) =>
  shell.run(task(command, extra), io, new AbortController().signal);

describe('shell executor', () => {
  it('runs a command and returns the tail of its stdout and exit code 0', async () => {
    const io = testIO();
    const result = await run('echo hello; echo oops >&2', {}, io);
    expect(result).toEqual({ outputs: { stdout: 'hello' }, exit_code: 0 });
    expect(io.out.join('')).toBe('hello\n');
    expect(io.err.join('')).toBe('oops\n');
  });

  it('fails with EXEC_EXIT_CODE, the exit code and the stderr tail on a non-zero exit', async () => {
    const err = await rejection(run('echo "disk full" >&2; exit 3'));
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 3, retryable: true, stderr_tail: 'disk full' });
    expect(err.message).toBe('command exited with code 3');
  });

  it('says when sh could not find the program (exit 127)', async () => {
    const err = await rejection(run('nonexistent-prog-xyz --flag'));
    expect(err).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 127 });
    expect(err.message).toMatch(/^command exited with code 127: .*not found.*PATH/);
    expect(err.stderr_tail).toContain('nonexistent-prog-xyz');
  });

  it('fails with EXEC_SPAWN, not retryable, when the shell program does not exist', async () => {
    const err = await rejection(run('true', { shell: 'nonexistent-shell-xyz' }));
    expect(err).toMatchObject({ code: 'EXEC_SPAWN', retryable: false });
    expect(err.message).toContain('"nonexistent-shell-xyz"');
    expect(err.message).toContain('PATH');
  });

  it('runs under another shell with flags', async () => {
    await expect(run('false | true', { shell: 'bash' })).resolves.toMatchObject({ exit_code: 0 });
    await expect(run('false | true', { shell: 'bash -eo pipefail' })).rejects.toMatchObject({ exit_code: 1 });
  });

  it('reports a process killed by a signal as EXEC_SIGNAL', async () => {
    const err = await rejection(run('kill -9 $$'));
    expect(err).toMatchObject({ code: 'EXEC_SIGNAL', retryable: true });
    expect(err.message).toBe('command was killed by SIGKILL');
  });

  describe('outputs file ($BATON_OUTPUT)', () => {
    it('reads name=value lines and heredoc values', async () => {
      const result = await run(
        [
          'echo "version=1.2.3" >> "$BATON_OUTPUT"',
          'echo "url=http://x/?a=b" >> "$BATON_OUTPUT"',
          '{ echo "notes<<EOF"; echo "line one"; echo "line two"; echo "EOF"; } >> "$BATON_OUTPUT"',
          'echo done',
        ].join('\n'),
      );
      expect(result.outputs).toEqual({ version: '1.2.3', url: 'http://x/?a=b', notes: 'line one\nline two', stdout: 'done' });
    });

    it('reads one JSON object', async () => {
      const result = await run(`echo '{"count": 3, "items": ["a"], "stdout": "mine"}' > "$BATON_OUTPUT"; echo ignored`);
      expect(result.outputs).toEqual({ count: 3, items: ['a'], stdout: 'mine' });
    });

    it('rejects a file that is neither', async () => {
      const err = await rejection(run('echo "just some text" > "$BATON_OUTPUT"'));
      expect(err).toMatchObject({ code: 'SCRIPT_OUTPUT', retryable: false });
      expect(err.message).toContain('line 1');
      const bad = await rejection(run(`echo '{"a": ' > "$BATON_OUTPUT"`));
      expect(bad).toMatchObject({ code: 'SCRIPT_OUTPUT' });
    });

    it('gives every attempt a fresh file in the scratch folder', async () => {
      const io = testIO();
      const first = await run('echo "$BATON_OUTPUT"', {}, io);
      const second = await run('echo "$BATON_OUTPUT"', {}, io);
      expect(first.outputs.stdout).not.toBe(second.outputs.stdout);
      expect(String(first.outputs.stdout).startsWith(io.scratchDir)).toBe(true);
      expect(existsSync(String(first.outputs.stdout))).toBe(false); // created only if the task writes it
    });
  });

  it('passes io.env and the BATON_* variables', async () => {
    const io = testIO({ attempt: 2 });
    io.env.GREETING = 'hi there';
    const result = await run(
      'printf "%s|" "$GREETING" "$BATON_RUN_ID" "$BATON_TASK" "$BATON_ATTEMPT" "$BATON_IDEMPOTENCY_KEY"; [ -n "$BATON_OUTPUT" ] && echo ok',
      {},
      io,
    );
    expect(result.outputs.stdout).toBe('hi there|01JTESTRUN|task-a|2|01JTESTRUN/task-a|ok');
  });

  it('leaves io.env as it was, and its BATON_* variables (baton inside a baton task) give way to the task\'s own', async () => {
    // io.env is shared by the run's tasks (and inherited by each process's environment, not copied).
    const env = { ...(process.env as Record<string, string>), BATON_TASK: 'outer-task', BATON_OUTPUT: '/outer/output', OUTER: 'kept' };
    const io = testIO({ env: Object.freeze({ ...env }) });
    const result = await run('printf "%s|" "$BATON_TASK" "$OUTER"; [ "$BATON_OUTPUT" != /outer/output ] && echo own', {}, io);
    expect(result.outputs.stdout).toBe('task-a|kept|own');
    expect(io.env).toEqual(env);
  });

  it('refuses a NUL byte in a variable of io.env (the workflow environment), naming it', async () => {
    const err = await rejection(run('true', {}, testIO({ env: { ...(process.env as Record<string, string>), BAD: 'a\0b' } })));
    expect(err).toMatchObject({ code: 'EXEC_NUL_BYTE', retryable: false });
    expect(err.message).toMatch(/^environment variable "BAD" of task task-a holds a NUL byte/);
  });

  describe('working directory', () => {
    it('defaults to the workflow folder and resolves relative cwd against it', async () => {
      const io = testIO();
      mkdirSync(join(io.baseDir, 'sub'));
      expect((await run('pwd -P', {}, io)).outputs.stdout).toBe(realpathSync(io.baseDir));
      expect((await run('pwd -P', { cwd: 'sub' }, io)).outputs.stdout).toBe(realpathSync(join(io.baseDir, 'sub')));
      expect((await run('pwd -P', { cwd: '/' }, io)).outputs.stdout).toBe('/');
    });

    it('fails with EXEC_SPAWN naming a missing cwd', async () => {
      const err = await rejection(run('true', { cwd: 'missing-dir' }));
      expect(err).toMatchObject({ code: 'EXEC_SPAWN', retryable: false });
      expect(err.message).toMatch(/working directory .*missing-dir does not exist/);
    });
  });

  it('decodes UTF-8 characters split across chunks', async () => {
    const io = testIO();
    const result = await run(String.raw`printf '\303'; sleep 0.1; printf '\251t\342\202'; sleep 0.1; printf '\254\n'`, {}, io);
    expect(io.out.length).toBeGreaterThan(1);
    expect(io.out.join('')).toBe('ét€\n');
    expect(result.outputs.stdout).toBe('ét€');
  });

  it('streams a large output without keeping it: 50 MB in, a bounded tail out', async () => {
    let chars = 0;
    const io = testIO({ stdout: (chunk) => (chars += chunk.length) });
    const result = await run('head -c 50000000 /dev/zero | tr "\\0" "x"; echo; echo last line', {}, io);
    expect(chars).toBe(50_000_000 + '\nlast line\n'.length);
    expect(result.outputs.stdout).toMatch(/^x+\nlast line$/);
    expect(String(result.outputs.stdout).length).toBeLessThanOrEqual(4096);
  });

  it('keeps only the last 20 lines of stderr in the error', async () => {
    const err = await rejection(run('i=1; while [ $i -le 1000 ]; do echo "error line $i" >&2; i=$((i+1)); done; exit 1'));
    const lines = String(err.stderr_tail).split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('error line 981');
    expect(lines[19]).toBe('error line 1000');
  });

  it('takes options such as the kill grace', async () => {
    const executor = createShellExecutor({ killGraceMs: 100 });
    const io = testIO();
    const result = await executor.run(task('echo $PPID > ppid; echo ok'), io, new AbortController().signal);
    expect(result.outputs.stdout).toBe('ok');
    expect(readFileSync(join(io.baseDir, 'ppid'), 'utf8').trim()).toBe(String(process.pid));
  });
});
