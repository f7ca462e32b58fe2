/**
 * Runs one program in its own process group and makes sure nothing it started outlives it.
 *
 * Lifecycle of a group:
 *   spawn (detached: the child leads a new group, pgid = pid)
 *     -> output streams to io.stdout/io.stderr; only a bounded tail stays in memory
 *     -> the leader exits:
 *          group empty         -> settle when stdout/stderr close (or DRAIN_MS later,
 *                                 if something that left the group holds them open)
 *          members still alive -> leftovers (`server &`): SIGTERM the group, SIGKILL after
 *                                 the grace, then settle with the leader's exit status
 *     -> or the AbortSignal fires (timeout, cancel):
 *          SIGTERM to the whole group, SIGKILL after the grace, reject with EXEC_ABORTED
 *          once the group is dead (or was SIGKILLed) and the streams closed.
 *
 * Live groups are kept in a module-level set so that the CLI, when baton itself is told
 * to exit, can take every running task down with it: killAllProcessGroups().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { abortedError, ExecutorError } from './errors.js';
import { Tail } from './tail.js';
import type { TaskIO } from './types.js';

/** Default wait between SIGTERM and SIGKILL: 5 s. */
export const KILL_GRACE_MS = 5_000;
/** How long to wait for stdout/stderr to close once the group is gone or SIGKILLed. */
const DRAIN_MS = 1_000;
/** How often a group being terminated is checked for having died. */
const POLL_MS = 50;
/** Characters of each stream kept in memory. */
export const TAIL_CHARS = 64 * 1024;

export interface ProcessSpec {
  program: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Written to the process's stdin, which is then closed; default: stdin is /dev/null. */
  stdin?: string;
  /**
   * Writes the process's stdin instead, as a stream (with back-pressure), and ends it. A
   * rejection stops the process (SIGTERM, then SIGKILL after the grace) and is what
   * runProcessGroup rejects with. EPIPE (the process stopped reading) is the feeder's to
   * take as the end.
   */
  feed?: (stdin: Writable) => Promise<void>;
  /**
   * Where stdout goes instead of the log and the tail: data, not output (a data_processor's
   * records). Piped with back-pressure and not ended (a sink may take several processes'
   * output in turn); an error on it stops the process like a failed feed.
   */
  stdoutSink?: Writable;
  /** Wait between SIGTERM and SIGKILL; default KILL_GRACE_MS (5 s). */
  killGraceMs?: number;
}

export interface ProcessResult {
  /** Exit code, or null when a signal ended the process. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Last TAIL_CHARS characters of each stream. */
  stdout: Tail;
  stderr: Tail;
}

const liveGroups = new Set<number>();

/**
 * Sends `signal` to every process group baton started that is still running; for the
 * CLI's exit path (SIGTERM on SIGINT/SIGTERM, SIGKILL from a process 'exit' handler,
 * which cannot wait). Returns how many groups were signalled.
 */
export function killAllProcessGroups(signal: NodeJS.Signals = 'SIGTERM'): number {
  let count = 0;
  for (const pgid of liveGroups) if (signalGroup(pgid, signal)) count++;
  return count;
}

/** Process groups started and not yet settled (for tests and diagnostics). */
export function liveProcessGroups(): number[] {
  return [...liveGroups];
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  // Asked after every task whose group is gone, so usually ESRCH: its error, thrown away,
  // need not capture a stack trace (most of the cost of the call).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * Whether any process of the group is still running. kill(-pgid, 0) alone also counts
 * zombies: orphans that exited but whose new parent never reaps them (a container whose
 * PID 1 is not an init). On Linux, when kill says yes, /proc is asked which members are
 * zombies; that scan happens only when a task left something behind.
 */
export function groupHasLiveMembers(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  if (process.platform !== 'linux') return true;
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    const code = entry.charCodeAt(0);
    if (code < 48 || code > 57) continue; // not a pid
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** Resolves when the leader has exited (whatever its status); rejects with EXEC_SPAWN or EXEC_ABORTED. */
export function runProcessGroup(spec: ProcessSpec, io: Pick<TaskIO, 'stdout' | 'stderr'>, signal: AbortSignal): Promise<ProcessResult> {
  if (signal.aborted) return Promise.reject(abortedError(signal, spec.program));
  return new Promise((resolve, reject) => {
    const grace = spec.killGraceMs ?? KILL_GRACE_MS;
    const stdout = new Tail(TAIL_CHARS);
    const stderr = new Tail(TAIL_CHARS);
    let child: ChildProcess;
    try {
      child = spawn(spec.program, spec.args, {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: [spec.stdin === undefined && spec.feed === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
    } catch (err) {
      reject(spawnError(spec, err));
      return;
    }
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);

    let settled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnFailure: unknown;
    let open = 2; // stdout and stderr
    let killing = false;
    let killSent = false;
    let aborted = false;
    /** A failed feed or sink: the process is stopped, and this is the rejection. */
    let broken: { error: unknown } | undefined;
    /** When output last came, so the drain wait after the exit does not cut a stream that still flows. */
    let lastOutput = 0;
    const timers: NodeJS.Timeout[] = [];

    const groupAlive = () => pid !== undefined && groupHasLiveMembers(pid);

    // SIGTERM now, SIGKILL after the grace unless the group is gone by then.
    const terminate = () => {
      if (killing || pid === undefined) return;
      killing = true;
      signalGroup(pid, 'SIGTERM');
      // Most groups die on SIGTERM well within the grace; notice that, not only at the end.
      const poll = setInterval(() => finish(), POLL_MS);
      timers.push(poll);
      timers.push(
        setTimeout(() => {
          killSent = true;
          signalGroup(pid, 'SIGKILL');
          finish();
          timers.push(setTimeout(() => finish(true), DRAIN_MS));
        }, grace),
      );
    };

    const finish = (force = false) => {
      if (settled) return;
      if (!force && spawnFailure === undefined) {
        if (exit === undefined || open > 0) return;
        if (killing && !killSent && groupAlive()) return; // the SIGKILL timer calls again
      }
      settled = true;
      for (const timer of timers) clearTimeout(timer); // clears intervals too
      signal.removeEventListener('abort', onAbort);
      if (pid !== undefined) liveGroups.delete(pid);
      if (spec.stdoutSink !== undefined) child.stdout?.unpipe(spec.stdoutSink);
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.stdin?.destroy();
      if (spawnFailure !== undefined) reject(spawnError(spec, spawnFailure));
      else if (aborted) reject(abortedError(signal, spec.program));
      else if (broken !== undefined) reject(broken.error);
      else resolve({ exitCode: exit?.code ?? null, signal: exit?.signal ?? null, stdout, stderr });
    };

    // Gives up on streams still open DRAIN_MS after the exit (something outside the group
    // holds them), but not while output still flows (a slow sink catching up).
    const drainLater = (): void => {
      timers.push(setTimeout(() => (Date.now() - lastOutput < DRAIN_MS ? drainLater() : finish(true)), DRAIN_MS));
    };

    const onAbort = () => {
      aborted = true;
      terminate();
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const fail = (error: unknown) => {
      if (settled) return; // the caller, which holds the feed and the sink, sees it there
      broken ??= { error };
      terminate();
    };
    if (spec.stdoutSink !== undefined) {
      child.stdout?.pipe(spec.stdoutSink, { end: false });
      child.stdout?.on('data', () => (lastOutput = Date.now()));
      spec.stdoutSink.on('error', fail);
    } else {
      child.stdout?.setEncoding('utf8'); // decodes multi-byte characters split across chunks
      child.stdout?.on('data', (chunk: string) => {
        lastOutput = Date.now();
        stdout.append(chunk);
        io.stdout(chunk);
      });
    }
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      lastOutput = Date.now();
      stderr.append(chunk);
      io.stderr(chunk);
    });
    const closed = () => {
      open--;
      finish();
    };
    child.stdout?.on('close', closed);
    child.stderr?.on('close', closed);
    if (child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE when the program does not read its stdin
      if (spec.feed !== undefined) spec.feed(child.stdin).catch(fail);
      else child.stdin.end(spec.stdin);
    }

    child.on('error', (err) => {
      if (exit !== undefined || pid !== undefined) return; // only spawn failures matter here
      spawnFailure = err;
      finish();
    });
    child.on('exit', (code, sig) => {
      exit = { code, signal: sig };
      if (!killing && groupAlive()) terminate(); // leftovers of a finished task
      if (!killing) drainLater();
      finish();
    });
  });
}

function spawnError(spec: ProcessSpec, err: unknown): ExecutorError {
  const code = (err as NodeJS.ErrnoException).code;
  let message: string;
  if (code === 'ENOENT' && !existsSync(spec.cwd)) {
    message = `cannot start "${spec.program}": working directory ${spec.cwd} does not exist`;
  } else if (code === 'ENOENT') {
    message = `cannot start "${spec.program}": program not found; check that it is installed and on PATH`;
  } else if (code === 'EACCES') {
    message = `cannot start "${spec.program}": permission denied; check that it is executable`;
  } else {
    message = `cannot start "${spec.program}": ${(err as Error).message}`;
  }
  return new ExecutorError('EXEC_SPAWN', message, { retryable: false, cause: err });
}
