/**
 * Running a baton command in the background, for a front end that must not drive runs in
 * its own process (`baton mcp`: its stdout is the protocol, and the agent that started it
 * may go away while a run goes on). The command is this baton's own CLI (bin/baton.js with
 * this Node), started detached in a process group of its own, so neither a signal to the
 * caller nor its exit reaches it; it writes its output to files the caller reads while it
 * lives (see Launched.output).
 *
 * The output files are unlinked as soon as the command has them open: nothing is left
 * behind whoever exits first, and a command that outlives its caller writes to files
 * nobody will read, which costs nothing (`--json` output is one document).
 */
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { installDir } from '../config/install-dir.js';
import { BatonError } from '../observability/errors.js';

export interface LaunchOptions {
  /** The command's working folder; default process.cwd(). */
  cwd?: string;
  /** What it reads on standard input (`baton run -`); default nothing (/dev/null). */
  stdin?: string;
  /** Its environment; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface Launched {
  pid: number;
  /** Resolves when it exits: its exit code, or 128 + the signal's number when a signal ended it. */
  readonly exited: Promise<number>;
  /** Its exit code once it has exited; undefined while it runs. */
  exitCode(): number | undefined;
  /** What it has written so far, each stream cut to its first `limit` bytes. */
  output(limit?: number): { stdout: string; stderr: string };
  /** Closes the caller's side of its output files (it goes on writing to them, unread). */
  release(): void;
}

/** Starts `baton <args>` detached. Throws RUN_LAUNCH when it cannot be started. */
export function launchBaton(args: readonly string[], options: LaunchOptions = {}): Launched {
  const bin = batonBin();
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-launch-'));
  const files: number[] = [];
  try {
    let stdin: number | 'ignore' = 'ignore';
    if (options.stdin !== undefined) {
      const input = path.join(dir, 'stdin');
      writeFileSync(input, options.stdin, { mode: 0o600 });
      // Opened for reading apart from the write: the command reads it from its start.
      stdin = openSync(input, 'r');
      files.push(stdin);
    }
    const out = openSync(path.join(dir, 'stdout'), 'a+', 0o600);
    files.push(out);
    const err = openSync(path.join(dir, 'stderr'), 'a+', 0o600);
    files.push(err);
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: options.env ?? process.env,
      stdio: [stdin, out, err],
      detached: true,
    });
    if (child.pid === undefined) {
      throw new BatonError('RUN_LAUNCH', `cannot start baton (${process.execPath} ${bin}): the system refused a new process; try again`, { details: { args: [...args] } });
    }
    child.unref();
    if (typeof stdin === 'number') closeSync(stdin);
    let code: number | undefined;
    const exited = new Promise<number>((resolve) => {
      child.on('exit', (status, signal) => {
        code = status ?? 128 + signalNumber(signal);
        resolve(code);
      });
    });
    child.on('error', () => {});
    let open = true;
    return {
      pid: child.pid,
      exited,
      exitCode: () => code,
      output: (limit = 1 << 20) => (open ? { stdout: readStart(out, limit), stderr: readStart(err, limit) } : { stdout: '', stderr: '' }),
      release: () => {
        if (!open) return;
        open = false;
        closeSync(out);
        closeSync(err);
      },
    };
  } catch (error) {
    for (const fd of files) closeQuietly(fd);
    throw error;
  } finally {
    // The command holds what it needs open; the names are no longer needed by anyone.
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bin/baton.js of this installation. */
function batonBin(): string {
  const dir = installDir();
  if (dir === undefined) throw new BatonError('RUN_LAUNCH', 'cannot find bin/baton.js of this copy of baton: it is incomplete; reinstall it');
  return path.join(dir, 'bin', 'baton.js');
}

/** The first `limit` bytes of a file the command appends to (read by position, not moving its offset). */
function readStart(fd: number, limit: number): string {
  const size = Math.min(fstatSync(fd).size, limit);
  const buf = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got).toString('utf8');
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : (constants.signals[signal] ?? 0);
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
