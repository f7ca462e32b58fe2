/**
 * The sandbox from the command line's side (docs/sandbox.md): which runs go in, and how.
 *
 * A run that asks for the sandbox (`--sandbox`, or `sandbox:` in baton.config.yaml) is
 * driven by a second baton, this same command started again under bwrap
 * (executors/sandbox.ts) with BATON_SANDBOX saying which sandbox it is in. That inner baton
 * records the sandbox in the run's RunCreated and does everything else as usual, on the
 * same standard input, output and error; the outer one only waits, passes on the signals
 * it gets (Ctrl-C, SIGTERM, SIGHUP, and window resizes) and exits with the inner one's
 * code. Killed outright (SIGKILL), it takes the inner one with it (--die-with-parent).
 * `baton resume`, `retry`, `cancel`, `approve` and `emit` of a sandboxed run go on with it
 * in the sandbox it recorded, the same way (commands/resume.ts).
 *
 * The sandbox's folders: the project's and the config's `sandbox.writable` (what the
 * run's processes may write, recorded with the run), plus baton's own: the store's folder
 * (the SQLite file, its journal and logs) and, when the run needs it, baton's home
 * (`.baton/scratch/`), wherever they are.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { ensureHome, isFilePath, loadProject, resolveStoreLocation, type Project } from '../config/project.js';
import { installDir } from '../config/install-dir.js';
import { SANDBOX_MODES, type SandboxMode } from '../config/settings.js';
import { SandboxError } from '../executors/errors.js';
import { bwrapArgs, bwrapProgram, notInSandbox, outermost, probeSandbox, sandboxProblem, unavailable, within } from '../executors/sandbox.js';
import type { RunSandbox } from '../store/events.js';

/** Set for the baton inside a sandbox: the sandbox, as JSON (RunSandbox). */
export const SANDBOX_ENV = 'BATON_SANDBOX';

/** The signals the outer baton passes on to the inner one. */
const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGWINCH'];

let here: { sandbox?: RunSandbox } | undefined;

/**
 * The sandbox this process is in, from BATON_SANDBOX, checked once per process: a value
 * that is not baton's, or a process that is not in fact sandboxed, is SANDBOX_NOT_INSIDE,
 * so a stray variable can never make a run record a sandbox it does not have.
 */
export function sandboxHere(env: NodeJS.ProcessEnv = process.env): RunSandbox | undefined {
  here ??= { sandbox: readMarker(env[SANDBOX_ENV]) };
  return here.sandbox;
}

function readMarker(raw: string | undefined): RunSandbox | undefined {
  if (raw === undefined || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const problem = sandboxProblem(value);
  const why = problem === undefined ? notInSandbox((value as RunSandbox).network) : `its value is not baton's (${problem})`;
  if (why !== undefined) {
    throw new SandboxError(
      'SANDBOX_NOT_INSIDE',
      `${SANDBOX_ENV} says this baton runs in a sandbox, but ${why}: baton sets ${SANDBOX_ENV} only for itself inside the sandbox; unset it (a run that asks for the sandbox then gets a real one)`,
    );
  }
  return value as RunSandbox;
}

/**
 * `--sandbox [mode]`: the mode, and the argument before it. Commander gives `--sandbox` the
 * word after it, so in `baton run --sandbox flow.yaml` the file arrives as the mode: a word
 * that is not a mode is the argument when that is missing.
 */
export function sandboxFlag(value: string | boolean | undefined, argument: string | undefined): { mode?: SandboxMode; argument?: string } {
  if (value === undefined || value === false) return { argument };
  if (value === true) return { mode: 'workspace-write', argument };
  if ((SANDBOX_MODES as readonly string[]).includes(value)) return { mode: value as SandboxMode, argument };
  if (argument === undefined) return { mode: 'workspace-write', argument: value };
  throw new SandboxError('SANDBOX_MODE', `--sandbox ${JSON.stringify(value)} is not a mode: write --sandbox (or --sandbox workspace-write) to run sandboxed, --sandbox off to run without it`, {
    details: { given: value, modes: SANDBOX_MODES },
  });
}

/** The sandbox a new run asks for: `--sandbox` over the config's `sandbox:`; none for `off`. */
export function requestedSandbox(mode: SandboxMode | undefined, project: Project): RunSandbox | undefined {
  const config = project.config.sandbox;
  if ((mode ?? config?.mode ?? 'off') === 'off') return undefined;
  return { mode: 'workspace-write', network: config?.network ?? false, writable: [project.root, ...(config?.writable ?? [])] };
}

/**
 * For `baton run` and `baton skill run`: when the run asks for the sandbox and this process
 * is not in one, runs this same command in it and returns its exit code; undefined to go on
 * here. `home`: the run writes to baton's home (`baton run -` puts its scratch file there).
 */
export async function enterSandbox(mode: SandboxMode | undefined, flags: { store?: string }, options: { home?: boolean } = {}): Promise<number | undefined> {
  if (sandboxHere() !== undefined) return undefined;
  const project = loadProject();
  const sandbox = requestedSandbox(mode, project);
  if (sandbox === undefined) return undefined;
  const store = resolveStoreLocation(project, { flag: flags.store });
  const home = options.home === true || store.inHome ? project.home : undefined;
  return runInSandbox(sandbox, process.argv.slice(2), { store: store.location, home });
}

/**
 * Runs `args`, a baton command, in `sandbox`, with baton's own folders writable too: the
 * folder of the store at `store` and, when given, baton's home. Resolves to its exit code;
 * SandboxError when the sandbox cannot be made (nothing ran then).
 */
export async function runInSandbox(sandbox: RunSandbox, args: readonly string[], where: { store: string; home?: string }): Promise<number> {
  const program = bwrapProgram();
  const writable = sandbox.writable.map(checkWritable);
  const own: string[] = [];
  if (where.home !== undefined) {
    ensureHome(where.home);
    own.push(where.home);
  }
  const file = storeFile(where.store);
  if (file !== undefined) {
    mkdirSync(path.dirname(file), { recursive: true });
    own.push(path.dirname(file));
  } else if (where.store !== 'memory' && !sandbox.network) {
    throw new SandboxError(
      'SANDBOX_STORE_NETWORK',
      `the store is ${where.store.replace(/\/\/[^@/]*@/, '//***@')}, reached over the network, and the sandbox has none: set \`sandbox: {network: true}\` in baton.config.yaml, keep runs in a SQLite file (--store .baton/baton.db), or run without the sandbox (--sandbox off)`,
    );
  }
  probeSandbox(program, sandbox.network);
  const binds = outermost([...writable, ...own]);
  const cwd = visible(process.cwd(), binds, sandbox.network) ? process.cwd() : writable[0];
  const command = [process.execPath, ...process.execArgv.filter((arg) => !arg.startsWith('--inspect')), process.argv[1], ...args];
  // baton itself and the Node running it stay readable where the sandbox hides a folder (a clone under /tmp).
  const readable = [installDir(), path.dirname(process.execPath)].filter((dir): dir is string => dir !== undefined);
  return spawnSandboxed(program, bwrapArgs({ writable: binds, readable, network: sandbox.network, cwd, infoFd: 3 }, command), innerEnv(sandbox, binds));
}

/** A folder a sandbox makes writable must exist (bwrap binds it), be a folder, and not be `/`. */
function checkWritable(dir: string): string {
  const fix = 'create it, or take it out of `sandbox.writable` in baton.config.yaml';
  let folder = false;
  try {
    folder = statSync(dir).isDirectory();
  } catch {
    throw new SandboxError('SANDBOX_WRITABLE', `the sandbox makes ${dir} writable, and it does not exist: ${fix}`, { details: { folder: dir } });
  }
  if (!folder) throw new SandboxError('SANDBOX_WRITABLE', `the sandbox makes ${dir} writable, and it is not a folder: ${fix}`, { details: { folder: dir } });
  if (path.resolve(dir) === '/') {
    throw new SandboxError('SANDBOX_WRITABLE', 'the sandbox would make / writable (the project root or a `sandbox.writable` folder is /), which is no sandbox: run baton from a project folder, or without the sandbox', {
      details: { folder: dir },
    });
  }
  return dir;
}

/** The SQLite file a store location names, absolute; undefined for `memory` and URLs. */
function storeFile(location: string): string | undefined {
  if (location === 'memory') return undefined;
  const bare = location.replace(/^sqlite:(\/\/)?/i, '');
  return bare !== location || isFilePath(location) ? path.resolve(bare) : undefined;
}

/** Is `dir` there inside the sandbox? Not in /tmp (empty there) or /run (hidden without network) unless bound. */
function visible(dir: string, binds: readonly string[], network: boolean): boolean {
  const hidden = ['/tmp', '/dev', '/proc', ...(network ? [] : ['/run', '/var/run'])];
  return binds.some((bind) => within(dir, bind)) || !hidden.some((top) => within(dir, top));
}

/** The inner baton's environment: BATON_SANDBOX, and a temp folder it can write. */
function innerEnv(sandbox: RunSandbox, binds: readonly string[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, [SANDBOX_ENV]: JSON.stringify(sandbox) };
  const tmp = env.TMPDIR;
  if (tmp !== undefined && tmp !== '' && !within(path.resolve(tmp), '/tmp') && !binds.some((bind) => within(path.resolve(tmp), bind))) env.TMPDIR = '/tmp';
  if (env.BATON_HOME !== undefined && env.BATON_HOME.trim() !== '') env.BATON_HOME = path.resolve(env.BATON_HOME);
  return env;
}

/**
 * Starts bwrap and waits for it, passing on signals to the baton inside, whose pid bwrap
 * writes to fd 3 once the sandbox is made. bwrap runs in a session of its own: the
 * terminal's Ctrl-C reaches this process only, which passes it on; bwrap itself, killed,
 * would take the sandbox with it at once (--die-with-parent), leaving no time to cancel.
 */
function spawnSandboxed(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env, detached: true });
    let inner: number | undefined;
    let info = '';
    const waiting: NodeJS.Signals[] = [];
    const deliver = (signal: NodeJS.Signals) => {
      try {
        process.kill(inner!, signal);
      } catch {
        // It has just ended; its exit follows.
      }
    };
    const onSignal = (signal: NodeJS.Signals) => (inner === undefined ? waiting.push(signal) : deliver(signal));
    for (const signal of FORWARDED) process.on(signal, onSignal);
    const infoStream = child.stdio[3] as NodeJS.ReadableStream;
    infoStream.setEncoding('utf8');
    infoStream.on('data', (chunk: string) => {
      info += chunk;
      const pid = /"child-pid"\s*:\s*(\d+)/.exec(info);
      if (pid === null || inner !== undefined) return;
      inner = Number(pid[1]);
      for (const signal of waiting.splice(0)) deliver(signal);
    });
    infoStream.on('error', () => {});
    const infoDone = new Promise<void>((done) => infoStream.on('close', done));
    const finish = () => {
      for (const signal of FORWARDED) process.off(signal, onSignal);
    };
    child.on('error', (err) => {
      finish();
      reject(unavailable(`cannot start bubblewrap (${program}): ${err.message}`, program));
    });
    child.on('exit', (code, signal) => {
      const exitCode = code ?? 128 + (constants.signals[signal!] ?? 0);
      // Without a pid on fd 3 the sandbox was never made (bwrap's own message is above). A
      // fake bwrap may leave fd 3 to the command: once it has ended, fd 3 is closed.
      const settle = () => {
        finish();
        if (inner !== undefined) resolve(exitCode);
        else reject(unavailable(`bubblewrap (${program}) could not set up the sandbox (it exited with code ${exitCode}; its message is above)`, program));
      };
      if (inner !== undefined) settle();
      else void infoDone.then(settle);
    });
  });
}
