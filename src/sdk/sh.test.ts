import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive, rejection, waitFor } from '../executors/test-support.js';
import { commandLine, makeSh, type CommandIO } from './sh.js';

const root = mkdtempSync(join(tmpdir(), 'baton-sh-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** An sh whose commands run in a fresh folder and record their output chunks. */
function setup(extra: Partial<CommandIO> = {}) {
  const cwd = mkdtempSync(join(root, 'cwd-'));
  const chunks: { stream: 'stdout' | 'stderr'; chunk: string }[] = [];
  const started: string[] = [];
  const io: CommandIO = {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    output: (stream, chunk) => chunks.push({ stream, chunk }),
    started: (line) => started.push(line),
    ...extra,
  };
  const sh = makeSh(() => io);
  const streamed = (stream: 'stdout' | 'stderr') => chunks.filter((c) => c.stream === stream).map((c) => c.chunk).join('');
  return { sh, cwd, chunks, started, streamed };
}

/** What a tagged template gives commandLine. */
function line(strings: TemplateStringsArray, ...values: unknown[]): string {
  return commandLine(strings, values);
}

const HOSTILE = [
  '; rm -rf ./victim',
  "it's",
  '"double" and \'single\'',
  'two\nlines',
  '$(touch pwned)',
  '`touch pwned`',
  '$HOME ${HOME}',
  '*',
  '  spaced  ',
  '',
  '-n',
  'a\\b',
  '|| touch pwned &',
  'done',
  '#not a comment',
  'héllo wörld ✓',
];

describe('ctx.sh quoting', () => {
  it('passes hostile values to the command as they are, unquoted, in "..." and in \'...\'', async () => {
    const { sh, cwd } = setup();
    for (const value of HOSTILE) {
      expect((await sh`printf '%s' ${value}`).stdout).toBe(value);
      expect((await sh`printf '%s' "${value}"`).stdout).toBe(value);
      expect((await sh`printf '%s' '${value}'`).stdout).toBe(value);
      expect((await sh`printf '%s' prefix-${value}-suffix`).stdout).toBe(`prefix-${value}-suffix`);
    }
    expect(existsSync(join(cwd, 'pwned'))).toBe(false);
  });

  it('keeps a value one word, where the shell would otherwise split or glob it', async () => {
    const { sh } = setup();
    expect((await sh`set -- ${'a b  c'}; echo $#`).stdout).toBe('1\n');
    expect((await sh`set -- ${''}; echo $#`).stdout).toBe('1\n');
    expect((await sh`set -- ${'*'}; echo "$1"`).stdout).toBe('*\n');
  });

  it('makes an array several words, each quoted, and an empty array no word', async () => {
    const { sh } = setup();
    expect((await sh`printf '<%s>' ${['a b', "c'd", '', '$(x)']}`).stdout).toBe("<a b><c'd><><$(x)>");
    expect((await sh`set -- ${[]}; echo $#`).stdout).toBe('0\n');
    expect((await sh`set -- x ${[1, true, 'y z']}; echo $# "$2" "$3" "$4"`).stdout).toBe('4 1 true y z\n');
  });

  it('writes numbers and booleans as their text', () => {
    expect(line`scale ${3} --dry-run=${false} ${-1.5} ${10n}`).toBe('scale 3 --dry-run=false -1.5 10');
  });

  it('leaves plain words as they are, so the log line reads like the command', () => {
    const name = 'web-1';
    const ns = 'prod';
    expect(line`kubectl rollout restart deployment/${name} -n ${ns}`).toBe('kubectl rollout restart deployment/web-1 -n prod');
    expect(line`echo ${'a b'} ${"it's"}`).toBe(`echo 'a b' 'it'\\''s'`);
  });

  it('refuses null, undefined, objects and the like with SH_BAD_VALUE naming the place', () => {
    for (const value of [null, undefined, {}, { a: 1 }, new Date(0), () => 1, Symbol('s'), NaN, Infinity, [['nested']], [null]]) {
      expect(() => line`kubectl get ${'pods'} -n ${value}`, String(typeof value)).toThrow(
        expect.objectContaining({ code: 'SH_BAD_VALUE', retryable: false, message: expect.stringContaining('value ${#2} in `kubectl get ${#1} -n ${#2}`') }),
      );
    }
    expect(() => line`echo ${undefined}`).toThrow(/is undefined, not a string, number, boolean or array of them/);
    expect(() => line`echo ${{ a: 1 }}`).toThrow(/is an object \(Object\)/);
    expect(() => line`echo ${[1, null]}`).toThrow(/item 1 of the array is null/);
  });

  it('refuses a NUL byte, which no process can receive', () => {
    expect(() => line`echo ${'a\0b'}`).toThrow(expect.objectContaining({ code: 'SH_BAD_VALUE', message: expect.stringContaining('NUL byte') }));
  });

  it('refuses values where no quoting is safe, and arrays inside quotes', () => {
    expect(() => line`echo \`echo ${'x'}\``).toThrow(expect.objectContaining({ code: 'SH_BAD_VALUE', message: expect.stringContaining('backticks') }));
    expect(() => line`echo "${['a', 'b']}"`).toThrow(expect.objectContaining({ code: 'SH_BAD_VALUE', message: expect.stringContaining('array') }));
    expect(() => line`echo '${['a']}'`).toThrow(expect.objectContaining({ code: 'SH_BAD_VALUE' }));
    expect(() => line`cat <<EOF\n${'x\nEOF\ntouch pwned'}\nEOF\n`).toThrow(expect.objectContaining({ code: 'SH_BAD_VALUE', message: expect.stringContaining('heredoc') }));
  });

  it('refuses to be called as a function, which would leave the values unquoted', async () => {
    const { sh } = setup();
    const call = sh as unknown as (command: string) => Promise<unknown>;
    await expect(call(`echo ${'a; touch pwned'}`)).rejects.toMatchObject({ code: 'SH_BAD_VALUE', message: expect.stringContaining('tagged template') });
  });

  it('rejects the command with SH_BAD_VALUE before running anything', async () => {
    const { sh, started, cwd } = setup();
    await expect(sh`touch made; echo ${null}`).rejects.toMatchObject({ code: 'SH_BAD_VALUE' });
    expect(started).toEqual([]);
    expect(existsSync(join(cwd, 'made'))).toBe(false);
  });
});

describe('ctx.sh running', () => {
  it('gives exit code, stdout and stderr, and tells started the command line', async () => {
    const { sh, started } = setup();
    const result = await sh`echo out; echo err >&2; echo ${'a b'}`;
    expect(result).toMatchObject({ exitCode: 0, stdout: 'out\na b\n', stderr: 'err\n', truncated: false });
    expect(started).toEqual(["echo out; echo err >&2; echo 'a b'"]);
  });

  it('rejects a non-zero exit with SH_EXIT carrying the exit code, command and stderr tail', async () => {
    const { sh } = setup();
    const err = await rejection(sh`echo partial; echo first >&2; echo 'no such deployment' >&2; exit 3`);
    expect(err).toMatchObject({ code: 'SH_EXIT', retryable: true, exitCode: 3, command: "echo partial; echo first >&2; echo 'no such deployment' >&2; exit 3" });
    expect(err.stderrTail).toBe('first\nno such deployment');
    expect(err.message).toMatch(/exited with code 3; stderr ends: no such deployment$/);
    expect((err.result as { stdout: string }).stdout).toBe('partial\n');
  });

  it('resolves a non-zero exit with sh.nothrow', async () => {
    const { sh } = setup();
    const result = await sh.nothrow`grep -q ${'absent'} /dev/null`;
    expect(result.exitCode).toBe(1);
    expect((await sh.nothrow`true`).exitCode).toBe(0);
  });

  it('reports a command killed by a signal as 128 + its number', async () => {
    const { sh } = setup();
    expect((await sh.nothrow`kill -9 $$`).exitCode).toBe(137);
    await expect(sh`kill -9 $$`).rejects.toMatchObject({ code: 'SH_EXIT', exitCode: 137, message: expect.stringContaining('was killed by SIGKILL') });
  });

  it('parses stdout with .json(), and says where it is not JSON with SH_JSON', async () => {
    const { sh } = setup();
    expect((await sh`echo '{"items":[{"name":"web-1"}]}'`).json()).toEqual({ items: [{ name: 'web-1' }] });
    const bad = await sh`echo '{"items": [1, 2,, 3]}'`;
    expect(() => bad.json()).toThrow(expect.objectContaining({ code: 'SH_JSON', message: expect.stringMatching(/^the stdout of `echo .*` is not JSON: Unexpected token ','.*2,, 3/) }));
    const cut = await sh`printf '{"a": [1,'`;
    expect(() => cut.json()).toThrow(/is not JSON: Unexpected end of JSON input; it ends: "\{"a": \[1,"$/);
    const word = await sh`printf '{"a": 1 "b": 2}'`;
    expect(() => word.json()).toThrow(/position \d+, here: "\{"a": 1 "b": 2\}"$/);
  });

  it('refuses .json() of empty or too deep output with SH_JSON', async () => {
    const { sh } = setup();
    const empty = await sh`true`;
    expect(() => empty.json()).toThrow(expect.objectContaining({ code: 'SH_JSON', message: expect.stringContaining('it is empty') }));
    const deep = await sh`printf '%0200d' 0 | tr 0 '['`;
    expect(() => deep.json()).toThrow(expect.objectContaining({ code: 'SH_JSON', cause: expect.objectContaining({ code: 'DATA_TOO_DEEP' }) }));
  });

  it('splits stdout into lines', async () => {
    const { sh } = setup();
    expect((await sh`printf 'a\nb\r\nc\n'`).lines()).toEqual(['a', 'b', 'c']);
    expect((await sh`printf 'a\n\nb'`).lines()).toEqual(['a', '', 'b']);
    expect((await sh`true`).lines()).toEqual([]);
  });

  it('keeps at most maxBuffer bytes of 5 MB of output, says truncated, and streams every chunk', async () => {
    const { sh, streamed } = setup({ maxBuffer: 64 * 1024 });
    const size = 5 * 1024 * 1024;
    const result = await sh`head -c ${size} /dev/zero | tr '\\0' x; echo done >&2`;
    expect(Buffer.byteLength(result.stdout)).toBe(64 * 1024);
    expect(result.truncated).toBe(true);
    expect(result.stderr).toBe('done\n');
    expect(streamed('stdout').length).toBe(size);
    expect(() => result.json()).toThrow(expect.objectContaining({ code: 'SH_JSON', message: expect.stringContaining('raise maxBuffer') }));
  });

  it('cuts the kept output between characters, never inside one', async () => {
    const { sh } = setup({ maxBuffer: 5 });
    const result = await sh`printf ééé`;
    expect(result.stdout).toBe('éé');
    expect(result.truncated).toBe(true);
  });

  it('decodes a character split across chunks', async () => {
    const { sh, streamed } = setup();
    const result = await sh`printf '\\303'; sleep 0.2; printf '\\251\\n'`;
    expect(result.stdout).toBe('é\n');
    expect(streamed('stdout')).toBe('é\n');
  });

  it('runs in cwd with exactly the environment given', async () => {
    const { sh, cwd } = setup({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GREETING: 'hello there' } });
    const result = await sh`pwd; echo "$GREETING"; echo "\${HOME-unset}"`;
    expect(result.lines()).toEqual([realpathSync(cwd), 'hello there', 'unset']);
  });

  it('asks io for each command, so each runs with the current step\'s settings', async () => {
    const a = mkdtempSync(join(root, 'a-'));
    const b = mkdtempSync(join(root, 'b-'));
    let cwd = a;
    const sh = makeSh(() => ({ cwd, env: { PATH: process.env.PATH ?? '' } }));
    expect((await sh`pwd`).stdout).toBe(`${realpathSync(a)}\n`);
    cwd = b;
    expect((await sh`pwd`).stdout).toBe(`${realpathSync(b)}\n`);
  });

  it('fails with EXEC_SPAWN naming a working directory that does not exist', async () => {
    const { sh } = setup({ cwd: '/nonexistent/baton-sh' });
    await expect(sh`true`).rejects.toMatchObject({ code: 'EXEC_SPAWN', message: expect.stringContaining('working directory /nonexistent/baton-sh does not exist') });
  });

  it('on abort kills the command and everything it started, and rejects with EXEC_ABORTED', async () => {
    const controller = new AbortController();
    const pids: number[] = [];
    const { sh } = setup({
      signal: controller.signal,
      output: (_stream, chunk) => {
        pids.push(...chunk.split(/\s+/).filter(Boolean).map(Number));
        if (pids.length === 2) controller.abort(new Error('step cancelled'));
      },
    });
    const err = await rejection(sh`sleep 30 & echo $!; sh -c 'echo $$; sleep 30' & wait`);
    expect(err).toMatchObject({ code: 'EXEC_ABORTED', message: expect.stringMatching(/^command `sleep 30 &.*` was stopped: step cancelled$/) });
    await waitFor(() => pids.every((pid) => !isAlive(pid)));
  });

  it('rejects at once when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort(new Error('run cancelled'));
    const { sh, started, cwd } = setup({ signal: controller.signal });
    await expect(sh`touch made`).rejects.toMatchObject({ code: 'EXEC_ABORTED', message: 'command `touch made` was stopped: run cancelled' });
    expect(started).toEqual([]);
    expect(existsSync(join(cwd, 'made'))).toBe(false);
  });
});
