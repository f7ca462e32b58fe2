/**
 * The `workspace-write` sandbox (seed 003, issue 9), made by bubblewrap (`bwrap`): the
 * command line that puts a process in it, whether bwrap can make one on this machine, and
 * whether this process is in one. What goes in is the whole process that drives a run
 * (cli/sandbox.ts; docs/decisions/0010-sandbox.md).
 *
 * Inside: the whole file system read-only (`--ro-bind / /`) but for the folders given,
 * which are writable; a private, empty /tmp and a minimal /dev; a /proc of its own; no
 * capabilities, even for root (a root process could otherwise remount / read-write);
 * no System V IPC with the outside; a session of its own (so it cannot push keystrokes into
 * the terminal with TIOCSTI); killed with the process that started it. Without network:
 * a network namespace of its own with only loopback, and /run hidden too, since the unix
 * sockets of the machine's services (docker's, systemd's, a database's) live there and
 * would be a way out that needs no network.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SandboxError } from './errors.js';

export interface SandboxMounts {
  /** Absolute folders made writable, in any order (nested ones are dropped: their parent covers them). */
  writable: readonly string[];
  /** Let processes inside use the network (default: no network). */
  network: boolean;
  /**
   * Absolute folders to keep readable where the sandbox would hide them (a private /tmp, a
   * hidden /run): the program that runs inside, when it is installed there (baton in a
   * clone under /tmp). Bound read-only, before the writable ones.
   */
  readable?: readonly string[];
  /** The working folder inside; default `/`. */
  cwd?: string;
  /** A file descriptor bwrap writes `{"child-pid": ...}` to once the sandbox is made; default none. */
  infoFd?: number;
}

/** The program that makes sandboxes: BATON_BWRAP (for tests and unusual installs), else `bwrap` on PATH. */
export function bwrapProgram(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.BATON_BWRAP;
  return given === undefined || given.trim() === '' ? 'bwrap' : given;
}

/** bwrap's arguments that run `command` in the sandbox `mounts` describes. */
export function bwrapArgs(mounts: SandboxMounts, command: readonly string[]): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'];
  const hidden = ['/tmp'];
  if (!mounts.network) {
    for (const dir of hiddenRunFolders()) {
      args.push('--tmpfs', dir);
      hidden.push(dir);
    }
  }
  const hiddenByUs = (dir: string) => hidden.some((h) => within(dir, h) && path.resolve(dir) !== h);
  for (const dir of outermost((mounts.readable ?? []).filter(hiddenByUs))) args.push('--ro-bind', dir, dir);
  for (const dir of outermost(mounts.writable)) args.push('--bind', dir, dir);
  if (!mounts.network) args.push('--unshare-net');
  args.push('--unshare-ipc', '--cap-drop', 'ALL', '--new-session', '--die-with-parent');
  if (mounts.infoFd !== undefined) args.push('--info-fd', String(mounts.infoFd));
  args.push('--chdir', mounts.cwd ?? '/', '--', ...command);
  return args;
}

/** The folders to bind: each once, parents before children, and none inside another (its parent covers it). */
export function outermost(folders: readonly string[]): string[] {
  const sorted = [...new Set(folders.map((dir) => path.resolve(dir)))].sort((a, b) => a.length - b.length || a.localeCompare(b));
  const kept: string[] = [];
  for (const dir of sorted) if (!kept.some((parent) => within(dir, parent))) kept.push(dir);
  return kept;
}

/** Is `file` the folder `dir` or inside it? */
export function within(file: string, dir: string): boolean {
  const relative = path.relative(dir, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** /run, and /var/run where it is a folder of its own rather than a link to /run. */
function hiddenRunFolders(): string[] {
  return ['/run', '/var/run'].filter((dir) => {
    try {
      return lstatSync(dir).isDirectory();
    } catch {
      return false;
    }
  });
}

const probed = new Map<string, SandboxError | null>();

/**
 * Checks, once per process for each program and network setting, that bwrap can make such
 * a sandbox here, by making one that runs `true` (a few milliseconds). Throws
 * SANDBOX_UNAVAILABLE saying why and what to do: a run that asks for the sandbox never
 * runs without it.
 */
export function probeSandbox(program: string, network: boolean): void {
  const key = `${program}\0${network}`;
  if (!probed.has(key)) probed.set(key, probe(program, network));
  const failure = probed.get(key);
  if (failure) throw failure;
}

function probe(program: string, network: boolean): SandboxError | null {
  const result = spawnSync(program, bwrapArgs({ writable: [], network }, ['true']), { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status === 0) return null;
  const error = result.error as NodeJS.ErrnoException | undefined;
  if (error?.code === 'ENOENT') {
    const what = program === 'bwrap' ? 'there is no `bwrap` on PATH' : `BATON_BWRAP names ${program}, which does not exist`;
    return unavailable(`the sandbox needs bubblewrap, and ${what}: install it (Debian and Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)`, program);
  }
  const said = (result.stderr ?? '').trim().split('\n').slice(0, 3).join(' ').slice(0, 500);
  const how = error ? error.message : result.signal ? `was killed by ${result.signal}` : `exited with code ${result.status}`;
  return unavailable(
    `bubblewrap (${program}) cannot make the sandbox on this machine: ${said === '' ? how : said}. ` +
      'Where it cannot create namespaces, let users create them: `sysctl kernel.unprivileged_userns_clone=1` (Debian), ' +
      '`sysctl kernel.apparmor_restrict_unprivileged_userns=0` (Ubuntu 23.10 and later); in a container, allow user namespaces (or run it with --privileged)',
    program,
  );
}

/** What `problem` says, then the way out that is always there; nothing ran. */
export function unavailable(problem: string, program: string): SandboxError {
  return new SandboxError('SANDBOX_UNAVAILABLE', `${problem}; or run without the sandbox (--sandbox off, or sandbox: off in baton.config.yaml). Nothing ran.`, { details: { program } });
}

/**
 * Why this process is not in a sandbox like the one asked for, or undefined when it is: the
 * root of its file system must be mounted read-only and, without network, loopback must be
 * its only network interface. Linux only, like bwrap; a check that cannot be made fails.
 */
export function notInSandbox(network: boolean, proc = '/proc'): string | undefined {
  let mounts: string;
  try {
    mounts = readFileSync(path.join(proc, 'self', 'mountinfo'), 'utf8');
  } catch (err) {
    return `its mounts cannot be read (${(err as Error).message})`;
  }
  // `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw`: the fifth field is
  // where it is mounted, the sixth its options. The last mount on / is the one seen.
  const root = mounts
    .split('\n')
    .map((line) => line.split(' '))
    .filter((fields) => fields[4] === '/')
    .at(-1);
  if (root === undefined || !root[5].split(',').includes('ro')) return 'its file system is not read-only';
  if (network) return undefined;
  if (!existsSync(path.join(proc, 'net', 'dev'))) return 'its network interfaces cannot be read';
  const interfaces = readFileSync(path.join(proc, 'net', 'dev'), 'utf8')
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0].trim())
    .filter((name) => name !== '');
  const outside = interfaces.filter((name) => name !== 'lo');
  return outside.length === 0 ? undefined : `it has network interfaces (${outside.join(', ')})`;
}

/**
 * What is wrong with a recorded sandbox (RunSandbox), or undefined: resume and retry enter
 * it as written, so a bad one must not get in.
 */
export function sandboxProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not an object';
  const sandbox = value as Record<string, unknown>;
  if (sandbox.mode !== 'workspace-write') return `its mode is ${JSON.stringify(sandbox.mode)}, not "workspace-write"`;
  if (typeof sandbox.network !== 'boolean') return '`network` is not true or false';
  const writable = sandbox.writable;
  if (!Array.isArray(writable) || writable.length === 0 || writable.some((dir) => typeof dir !== 'string' || !dir.startsWith('/'))) {
    return '`writable` is not a list of absolute folders (the project\'s first)';
  }
  return undefined;
}
