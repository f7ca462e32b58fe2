/**
 * `baton step <id> [options] -- <command...>`: inside a script that baton runs, runs a
 * command as a durable step of the script's run. The baton driving the run decides (over
 * $BATON_STEP_SOCKET, sdk/step-protocol.ts) whether the command runs at all: a step the
 * run recorded as succeeded prints its recorded stdout and exits 0 at once; otherwise the
 * command runs here, attempt by attempt as the retry policy says, in this process's place
 * (same working directory, environment and stdin, plus BATON_OUTPUT, BATON_ATTEMPT and
 * BATON_IDEMPOTENCY_KEY), its stdout and stderr both passed through and sent to the run's
 * log. Exits with the command's exit code, or the recorded failure's.
 *
 * The command runs in a process group of its own, so that a timeout, a cancelled run or a
 * signal sent to this process (passed on: Ctrl-C, SIGTERM) reaches whatever it started.
 */
import { QUEUE_NAME } from '../../spec/queue-name.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { fstatSync, readFileSync, statSync } from 'node:fs';
import type net from 'node:net';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { exitCodeOf } from '../../observability/error-categories.js';
import { BatonError } from '../../observability/errors.js';
import { encode, LineReader, PROTOCOL_VERSION, type AttemptExit, type AttemptOrder, type ClientMessage, type StepRequest } from '../../sdk/step-protocol.js';
import { parseDuration } from '../../spec/duration.js';
import { connectToRun, serverGone } from '../step-socket.js';

export const STEP_USAGE = 'baton step <id> [--retry N] [--delay D] [--backoff fixed|linear|exponential] [--timeout D] [--queue NAME] -- <command...>';

/** Wait between SIGTERM and SIGKILL when the command is stopped (as for tasks: 5 s). */
const KILL_GRACE_MS = 5_000;
/** How long the command's output may stay open after it exited (something it left behind holds it). */
const DRAIN_MS = 1_000;
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export default async function step(args: string[]): Promise<number> {
  const request = parseStepArgs(args);
  const socket = await connectToRun('step');
  return new StepClient(socket, request).done;
}

/** `<id> [options] -- <command...>`; the `--` may be left out when the command does not start with `-`. */
export function parseStepArgs(args: string[]): StepRequest {
  let id: string | undefined;
  let command: string[] | undefined;
  const options: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      command = args.slice(i + 1);
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (!['retry', 'delay', 'backoff', 'timeout', 'queue'].includes(name)) throw usage(`unknown option '${arg}'`);
      const value = eq === -1 ? args[++i] : arg.slice(eq + 1);
      if (value === undefined) throw usage(`option '--${name}' needs a value`);
      options[name] = value;
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') throw usage(`unknown option '${arg}'`);
    if (id === undefined) {
      id = arg;
      continue;
    }
    command = args.slice(i);
    break;
  }
  if (id === undefined) throw usage('missing the step id');
  if (command === undefined || command.length === 0) throw usage(`missing the command to run as step ${id}`);
  const request: StepRequest = { id, command };
  if (options.retry !== undefined) {
    const attempts = Number(options.retry);
    if (!Number.isInteger(attempts) || attempts < 1) {
      throw new BatonError('CLI_BAD_NUMBER', `--retry must be a whole number of tries of at least 1 (the first counts), got "${options.retry}"`, { details: { option: '--retry' } });
    }
    request.retry = { attempts };
    if (options.delay !== undefined) request.retry.delay_ms = duration('--delay', options.delay, 'ms');
    if (options.backoff !== undefined) {
      if (!['fixed', 'linear', 'exponential'].includes(options.backoff)) throw usage(`--backoff must be fixed, linear or exponential, got "${options.backoff}"`);
      request.retry.backoff = options.backoff as 'fixed' | 'linear' | 'exponential';
    }
  } else if (options.delay !== undefined || options.backoff !== undefined) {
    throw usage(`--${options.delay !== undefined ? 'delay' : 'backoff'} shapes retries: give --retry N too (tries in all, the first counted)`);
  }
  if (options.timeout !== undefined) {
    request.timeout_ms = duration('--timeout', options.timeout, 's');
    if (request.timeout_ms === 0) throw usage('--timeout must be more than 0');
  }
  if (options.queue !== undefined) {
    if (!QUEUE_NAME.test(options.queue)) throw usage(`--queue "${options.queue}" is not a queue name: 1-64 letters, digits, '-', '_', '.'`);
    request.queue = options.queue;
  }
  return request;
}

function duration(option: string, value: string, bareUnit: 'ms' | 's'): number {
  try {
    return parseDuration(value, bareUnit);
  } catch (err) {
    throw usage(`${option} "${value}" is not a duration: use 500ms, 30s, 5m, 1h or 1h30m (a bare number is in ${bareUnit === 'ms' ? 'milliseconds' : 'seconds'})`, err);
  }
}

function usage(message: string, cause?: unknown): BatonError {
  return new BatonError('CLI_USAGE', `baton step: ${message}\nusage: ${STEP_USAGE}`, { cause });
}

/** One `baton step` conversation; `done` resolves with the exit code. */
class StepClient {
  readonly done: Promise<number>;
  private finish!: (code: number) => void;
  private child?: ChildProcess;
  /** The command ran here (so its output was printed as it came; a replay prints the recorded stdout). */
  private ran = false;
  private timedOut = false;
  private stoppedBy?: NodeJS.Signals;
  private killTimer?: NodeJS.Timeout;
  private ended = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly request: StepRequest,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
    socket.setEncoding('utf8');
    const reader = new LineReader((message) => this.receive(message));
    socket.on('data', (chunk: string) => {
      try {
        reader.push(chunk);
      } catch (err) {
        this.fail(new BatonError('STEP_PROTOCOL', `the baton running this script sent ${(err as Error).message}`));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.serverClosed());
    for (const signal of STOP_SIGNALS) process.on(signal, this.onSignal);
    // A reader of our stdout that went away (`| head -1`) must not stop the step.
    process.stdout.on('error', () => {});
    this.send({ v: PROTOCOL_VERSION, step: request });
  }

  private send(message: ClientMessage): void {
    if (!this.socket.destroyed) this.socket.write(encode(message));
  }

  private receive(message: Record<string, unknown>): void {
    if (message.run !== undefined) return this.runAttempt(message.run as AttemptOrder);
    if (typeof message.kill === 'string') return this.stopCommand();
    const done = message.done as { stdout?: string } | undefined;
    if (done !== undefined) {
      // A replay prints what the step printed, for a script that reads it (`x=$(baton step ...)`).
      if (!this.ran && typeof done.stdout === 'string' && !isScriptStream(1)) process.stdout.write(done.stdout);
      return this.end(0);
    }
    const failed = message.failed as { exit_code: number; code: string; message: string } | undefined;
    if (failed !== undefined) {
      process.stderr.write(`baton: ${failed.message} [${failed.code}]\n`);
      return this.end(Number.isInteger(failed.exit_code) ? failed.exit_code : 1);
    }
    const error = message.error as { code: string; message: string } | undefined;
    if (error !== undefined) this.fail(new BatonError(error.code, error.message));
  }

  private runAttempt(order: AttemptOrder): void {
    if (this.stoppedBy !== undefined) return;
    this.ran = true;
    this.timedOut = false;
    const [program, ...args] = this.request.command;
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        stdio: ['inherit', 'pipe', 'pipe'],
        detached: true,
        env: {
          ...process.env,
          BATON_OUTPUT: order.output_file,
          BATON_TASK: order.key,
          BATON_ATTEMPT: String(order.attempt),
          BATON_IDEMPOTENCY_KEY: order.idempotency_key,
        },
      });
    } catch (err) {
      // A NUL byte in an argument, and the like: refused before any process exists.
      return this.send({ exit: { code: null, signal: null, spawn_error: (err as Error).message } });
    }
    this.child = child;
    if (child.pid !== undefined) this.send({ started: { pid: child.pid } });
    const timer = this.request.timeout_ms === undefined ? undefined : setTimeout(() => ((this.timedOut = true), this.stopCommand()), this.request.timeout_ms);
    this.pipe(child, 'stdout');
    this.pipe(child, 'stderr');
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let drain: NodeJS.Timeout | undefined;
    const report = (exit: AttemptExit) => {
      if (this.child !== child) return;
      this.child = undefined;
      if (timer) clearTimeout(timer);
      if (drain) clearTimeout(drain);
      if (this.killTimer) clearTimeout(this.killTimer);
      this.send({ exit });
      // Stopped by a signal we passed on: the script is being stopped too; no retry here.
      if (this.stoppedBy !== undefined) this.end(128 + (constants.signals[this.stoppedBy] ?? 0));
    };
    const exitOf = (): AttemptExit => ({
      code: exited?.code ?? null,
      signal: exited?.signal ?? null,
      ...(this.timedOut ? { timed_out: true } : {}),
      ...(this.stoppedBy === undefined ? {} : { stopped_by: this.stoppedBy }),
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (child.pid === undefined) report({ code: null, signal: null, spawn_error: spawnError(err) });
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      // Whatever the command left running in its group goes with it, as for a task.
      signalGroup(child.pid, 'SIGTERM');
      drain = setTimeout(() => {
        signalGroup(child.pid, 'SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
        report(exitOf());
      }, DRAIN_MS);
    });
    // After both streams closed: every byte of output is sent before the exit.
    child.on('close', () => report(exitOf()));
  }

  /** The command's stream to ours (bytes as they are) and to the run's log (as text). */
  private pipe(child: ChildProcess, stream: 'stdout' | 'stderr'): void {
    const decoder = new StringDecoder('utf8');
    const ours = stream === 'stdout' ? process.stdout : process.stderr;
    // Not echoed where baton already logs it as the script's own output: it would be in
    // the run's logs twice (once under the step, once under `main`).
    const echo = !isScriptStream(stream === 'stdout' ? 1 : 2);
    const source = child[stream]!;
    source.on('data', (chunk: Buffer) => {
      if (echo) ours.write(chunk);
      const text = decoder.write(chunk);
      if (text !== '') this.send(stream === 'stdout' ? { out: text } : { err: text });
      // The baton process reads slower than the command writes: let the command wait.
      if (this.socket.writableNeedDrain) {
        source.pause();
        this.socket.once('drain', () => source.resume());
      }
    });
    source.on('end', () => {
      const rest = decoder.end();
      if (rest !== '') this.send(stream === 'stdout' ? { out: rest } : { err: rest });
    });
  }

  /** SIGTERM to the command's group, SIGKILL after the grace. */
  private stopCommand(signal: NodeJS.Signals = 'SIGTERM'): void {
    const child = this.child;
    if (child === undefined) return;
    signalGroup(child.pid, signal);
    if (this.killTimer === undefined) {
      this.killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
      this.killTimer.unref();
    }
  }

  private onSignal = (signal: NodeJS.Signals) => {
    if (this.stoppedBy !== undefined) return;
    this.stoppedBy = signal;
    if (this.child !== undefined) return this.stopCommand(signal);
    // Nothing running (a replay, or between attempts): nothing to pass it on to.
    this.end(128 + (constants.signals[signal] ?? 0));
  };

  /** The server closed the connection: after our answer (done), or because baton died. */
  private serverClosed(): void {
    if (this.ended) return;
    if (this.child !== undefined) this.stopCommand();
    this.fail(serverGone('its connection closed'));
  }

  private fail(err: BatonError): void {
    if (this.ended) return;
    process.stderr.write(`baton: ${err.message} [${err.code}]\n`);
    this.end(exitCodeOf(err));
  }

  private end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    for (const signal of STOP_SIGNALS) process.off(signal, this.onSignal);
    this.socket.end();
    this.finish(code);
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
}

function spawnError(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return 'program not found; check that it is installed and on PATH';
  if (err.code === 'EACCES') return 'permission denied; check that it is executable';
  return err.message;
}

/**
 * Is our stdout (1) or stderr (2) the script's own pipe, which baton logs as the run's
 * `main`? The script leads the process group every process it starts is in, so its pid is
 * our process group id; compare what its fd and ours point at. Linux (/proc) only;
 * elsewhere, and when in doubt, no.
 */
function isScriptStream(fd: 1 | 2): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    if (!Number.isInteger(group) || group <= 1 || group === process.pid) return false;
    const ours = fstatSync(fd);
    const script = statSync(`/proc/${group}/fd/${fd}`);
    // Node gives a child's stdio as a socket pair, a shell's pipes are FIFOs.
    return (ours.isFIFO() || ours.isSocket()) && ours.ino === script.ino && ours.dev === script.dev;
  } catch {
    return false;
  }
}
