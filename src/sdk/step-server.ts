/**
 * The step server: how `baton step` inside a script reaches the run driving it. The baton
 * process running a script (sdk/script-program.ts) listens on a unix socket of its own and
 * gives its path to the script as $BATON_STEP_SOCKET; each `baton step` call connects,
 * and the server makes it a durable step with host.step (engine/steps/): on a first run
 * the server orders the client to run the command, attempt by attempt, and records how
 * each ended; on a replay it hands back the recorded end at once. The conversation is in
 * sdk/step-protocol.ts.
 *
 * The command runs in the client, not here: in the script's process tree, with its
 * working directory, environment and standard input, as if `baton step --` were not
 * there. What the server keeps of an attempt is its output (to the step's log) and how it
 * ended; a step's result is `{exit_code, stdout, outputs}`, stdout cut at
 * RECORDED_STDOUT_CHARS.
 */
import { QUEUE_NAME } from '../spec/queue-name.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMs } from '../engine/attempts.js';
import type { StepAttempt, StepHost, StepOptions } from '../engine/steps/program.js';
import { StepFailed } from '../engine/steps/results.js';
import { readOutputsFile } from '../executors/outputs-file.js';
import { OutputsWatch } from '../executors/outputs-watch.js';
import { STDERR_TAIL_CHARS, STDERR_TAIL_LINES } from '../executors/process-task.js';
import { Tail } from '../executors/tail.js';
import { RETRY_DEFAULTS } from '../spec/normalize-leaf.js';
import type { RetryPolicy } from '../spec/model.js';
import { installDir } from '../config/install-dir.js';
import { BatonError } from '../observability/errors.js';
import { encode, LineReader, PROTOCOL_VERSION, RECORDED_STDOUT_CHARS, type AttemptExit, type ServerMessage, type SkillRequest, type StepRequest } from './step-protocol.js';

export interface StepServer {
  /** The socket's path, for $BATON_STEP_SOCKET. */
  readonly socket: string;
  /** A folder holding a `baton` command that runs this baton: first on the script's PATH. */
  readonly binDir: string;
  /** Whether the script set what the run reports back (`baton summary`). */
  readonly summarySet: boolean;
  /** The last step that failed (the script's exit often follows from it). */
  readonly lastFailure?: StepFailure;
  /** Stops listening, drops the connections left and removes the socket's folder. */
  close(): void;
}

/** What a client is told of a step that failed, and exits with. */
export interface StepFailure {
  key: string;
  exit_code: number;
  code: string;
  message: string;
  /** The end of the step's stderr (its log), for the run's error when the script stops on it. */
  stderr_tail?: string;
}

/** A step's result, as recorded. */
export interface StepResult {
  exit_code: 0;
  stdout: string;
  outputs: Record<string, unknown>;
}

/** How one attempt of a step's command failed: the driver reads code, retryable, exitCode and stderrTail. */
export class StepCommandError extends BatonError {
  constructor(
    code: string,
    message: string,
    readonly retryable: boolean,
    readonly exitCode?: number,
    readonly stderrTail?: string,
  ) {
    super(code, message);
  }
}

/** The longest path a unix socket may have, less a margin (sun_path is 108 bytes with its NUL on Linux, 104 on macOS). */
const SOCKET_PATH_MAX = 100;

export async function startStepServer(host: StepHost): Promise<StepServer> {
  const dir = socketDir(host.scratchDir);
  const socket = path.join(dir, 'step.sock');
  writeShim(dir);
  const connections = new Set<net.Socket>();
  const groups = new Set<number>();
  const seen: { summarySet: boolean; lastFailure?: StepFailure } = { summarySet: false };
  const server = net.createServer((connection) => {
    connections.add(connection);
    connection.on('close', () => connections.delete(connection));
    serve(connection, host, groups, seen);
  });
  // The commands run in process groups of their own, which nothing kills with baton's: a
  // forced exit (a second Ctrl-C) that SIGKILLs the script must not leave them running.
  const killGroups = () => {
    for (const pgid of groups) signalGroup(pgid, 'SIGKILL');
  };
  process.on('exit', killGroups);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    process.off('exit', killGroups);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // The script may outlive its run's drive only by a crash; the server must not keep baton alive.
  server.unref();
  return {
    socket,
    binDir: dir,
    get summarySet() {
      return seen.summarySet;
    },
    get lastFailure() {
      return seen.lastFailure;
    },
    close() {
      process.off('exit', killGroups);
      server.close();
      for (const connection of connections) connection.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A private folder (mode 0700, so no other user can connect) for the socket and the shim.
 * In the run's scratch folder when the socket's path fits; else under the temp folder,
 * else under /tmp. Named afresh by every drive of the run: a script left running by a
 * killed baton cannot reach the server of the resume that replaced it.
 */
function socketDir(scratchDir: string): string {
  for (const parent of [scratchDir, tmpdir(), '/tmp']) {
    if (Buffer.byteLength(path.join(parent, 'baton-XXXXXX', 'step.sock')) > SOCKET_PATH_MAX) continue;
    return mkdtempSync(path.join(parent, 'baton-'));
  }
  throw new BatonError('STEP_SOCKET_PATH', `no folder short enough for the step socket (a unix socket path has at most ${SOCKET_PATH_MAX} bytes): ${scratchDir} and the temp folder ${tmpdir()} are too long; set TMPDIR to a short folder such as /tmp`);
}

/**
 * `baton` for the script, whether or not baton is installed on PATH (npx, a checkout): a
 * shell script that runs this baton's launcher with this Node.
 */
function writeShim(dir: string): void {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  writeFileSync(path.join(dir, 'baton'), `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(launcher())} "$@"\n`, { mode: 0o755 });
}

/** bin/baton.js of the running baton. */
function launcher(): string {
  const dir = installDir();
  if (dir !== undefined) return path.join(dir, 'bin', 'baton.js');
  throw new BatonError('STEP_NO_LAUNCHER', `cannot find bin/baton.js above ${fileURLToPath(import.meta.url)}: this copy of baton is incomplete; reinstall it`);
}

/** One connection: a `baton step` or a `baton summary`. */
function serve(connection: net.Socket, host: StepHost, groups: Set<number>, seen: { summarySet: boolean; lastFailure?: StepFailure }): void {
  connection.setEncoding('utf8');
  // A client that died mid-write: its 'close' follows, which is what counts.
  connection.on('error', () => {});
  const send = (message: ServerMessage, last = false) => {
    if (connection.destroyed) return;
    connection.write(encode(message));
    if (last) connection.end();
  };
  let call: StepCall | undefined;
  const reader = new LineReader((message) => {
    if (call !== undefined) return call.receive(message);
    if (message.v !== PROTOCOL_VERSION) {
      return send({ error: { code: 'STEP_PROTOCOL', message: `this script's \`baton\` speaks step protocol ${String(message.v)}, the baton running it speaks ${PROTOCOL_VERSION}: call \`baton\` as found on PATH inside the run (the running baton puts itself first)` } }, true);
    }
    if (typeof message.summary === 'string') {
      host.summary(message.summary);
      seen.summarySet = true;
      return send({ ok: true }, true);
    }
    const skill = message.skill as SkillRequest | undefined;
    if (skill !== undefined) return runSkillStep(host, skill, send, (failure) => (seen.lastFailure = failure));
    const request = message.step as StepRequest | undefined;
    if (request === undefined || typeof request.id !== 'string' || !Array.isArray(request.command)) {
      return send({ error: { code: 'STEP_PROTOCOL', message: 'the first message of a connection must be a step or a summary' } }, true);
    }
    call = new StepCall(host, request, send, groups, (failure) => (seen.lastFailure = failure));
    connection.on('close', () => call!.clientGone());
    call.start();
  });
  connection.on('data', (chunk: string) => {
    try {
      reader.push(chunk);
    } catch (err) {
      send({ error: { code: 'STEP_PROTOCOL', message: `the step client sent ${(err as Error).message}` } }, true);
      connection.destroy();
    }
  });
}

/**
 * `baton skill run` inside the script: the skill runs as a child-run step of this run (the
 * same as a TypeScript workflow's ctx.skill), recorded, and replayed on a resume.
 */
function runSkillStep(host: StepHost, request: SkillRequest, send: (message: ServerMessage, last?: boolean) => void, onFailure: (failure: StepFailure) => void): void {
  if (typeof request.name !== 'string' || request.name === '' || request.inputs === null || typeof request.inputs !== 'object') {
    return send({ error: { code: 'STEP_PROTOCOL', message: 'a skill request needs a name and inputs' } }, true);
  }
  let key: string;
  let ended: Promise<unknown>;
  try {
    key = host.keyFor(request.name);
    ended = host.child(key, { skill: request.name }, request.inputs, {});
  } catch (err) {
    const code = err instanceof BatonError ? err.code : 'STEP_ERROR';
    return send({ error: { code, message: (err as Error).message } }, true);
  }
  ended.then(
    (outputs) => send({ done: { key, exit_code: 0, stdout: `${JSON.stringify(outputs)}\n` } }, true),
    (err: unknown) => {
      const failed = failure(key, err);
      onFailure(failed);
      send({ failed }, true);
    },
  );
}

interface Attempt {
  io: StepAttempt;
  outputFile: string;
  /** Reads the command's progress lines while it runs, when the driver records progress. */
  watch?: OutputsWatch;
  pgid?: number;
  stdout: string;
  stderr: Tail;
  resolve(result: StepResult): void;
  reject(error: unknown): void;
}

let outputFiles = 0;

/** One `baton step`: a durable step whose attempts the client runs. */
class StepCall {
  private current?: Attempt;
  private gone = false;
  private key = '';

  constructor(
    private readonly host: StepHost,
    private readonly request: StepRequest,
    private readonly send: (message: ServerMessage, last?: boolean) => void,
    /** The process groups of the commands running now, all steps together. */
    private readonly groups: Set<number>,
    private readonly onFailure: (failure: StepFailure) => void,
  ) {}

  start(): void {
    let ended: Promise<unknown>;
    try {
      this.key = this.host.keyFor(this.request.id);
      ended = this.host.step(this.key, stepOptions(this.request), (attempt) => this.work(attempt));
    } catch (err) {
      // A step id baton refuses (STEP_KEY_INVALID), found before anything ran.
      const code = err instanceof BatonError ? err.code : 'STEP_ERROR';
      return this.send({ error: { code, message: (err as Error).message } }, true);
    }
    ended.then(
      (value) => this.send({ done: { key: this.key, exit_code: 0, stdout: recordedStdout(value) } }, true),
      (err: unknown) => {
        const failed = failure(this.key, err);
        this.onFailure(failed);
        this.send({ failed }, true);
      },
    );
  }

  /** Attempt N: the client runs the command; settles when it says how that ended. */
  private work(io: StepAttempt): Promise<StepResult> {
    if (this.gone) return Promise.reject(clientLost(this.key));
    return new Promise((resolve, reject) => {
      const outputFile = path.join(this.host.scratchDir, `step-output-${process.pid}-${++outputFiles}`);
      this.current = { io, outputFile, stdout: '', stderr: new Tail(STDERR_TAIL_CHARS), resolve, reject };
      if (io.progress) this.current.watch = new OutputsWatch(outputFile, (input) => io.progress!(input), (line) => io.output('stderr', line));
      // Cancelled or stopped: the client stops the command and reports its exit, which settles this.
      io.signal.addEventListener('abort', () => this.send({ kill: String(io.signal.reason ?? 'stopped') }), { once: true });
      this.send({ run: { key: this.key, attempt: io.attempt, idempotency_key: io.idempotencyKey, output_file: outputFile } });
    });
  }

  receive(message: Record<string, unknown>): void {
    const attempt = this.current;
    if (attempt === undefined) return;
    const started = message.started as { pid?: unknown } | undefined;
    if (typeof started?.pid === 'number' && Number.isInteger(started.pid) && started.pid > 1) {
      attempt.pgid = started.pid;
      this.groups.add(started.pid);
    } else if (typeof message.out === 'string') {
      attempt.io.output('stdout', message.out);
      if (attempt.stdout.length < RECORDED_STDOUT_CHARS) attempt.stdout += message.out.slice(0, RECORDED_STDOUT_CHARS - attempt.stdout.length);
    } else if (typeof message.err === 'string') {
      attempt.io.output('stderr', message.err);
      attempt.stderr.append(message.err);
    } else if (message.exit !== null && typeof message.exit === 'object') {
      this.current = undefined;
      if (attempt.pgid !== undefined) this.groups.delete(attempt.pgid);
      // Its last report is read before its end is recorded.
      attempt.watch?.stop();
      void this.ended(attempt, message.exit as AttemptExit);
    }
  }

  /** The connection closed: the client (and the script, most likely) is gone. */
  clientGone(): void {
    this.gone = true;
    const attempt = this.current;
    this.current = undefined;
    attempt?.watch?.stop();
    // Its command may live on, with nobody left to stop it.
    if (attempt?.pgid !== undefined) {
      this.groups.delete(attempt.pgid);
      signalGroup(attempt.pgid, 'SIGTERM');
    }
    attempt?.reject(clientLost(this.key));
  }

  private async ended(attempt: Attempt, exit: AttemptExit): Promise<void> {
    const stderrTail = attempt.stderr.lastLines(STDERR_TAIL_LINES, STDERR_TAIL_CHARS);
    const fail = (code: string, message: string, retryable: boolean, exitCode?: number) => {
      rmSync(attempt.outputFile, { force: true });
      attempt.reject(new StepCommandError(code, message, retryable, exitCode, stderrTail === '' ? undefined : stderrTail));
    };
    if (exit.spawn_error !== undefined) return fail('EXEC_SPAWN', `cannot start ${JSON.stringify(this.request.command[0] ?? '')}: ${exit.spawn_error}`, false, 127);
    if (exit.timed_out) return fail('EXEC_TIMEOUT', `${this.key} timed out after ${formatMs(this.request.timeout_ms ?? 0)}`, true, exit.code ?? undefined);
    if (exit.stopped_by !== undefined) {
      return fail('EXEC_ABORTED', `\`baton step\` was sent ${exit.stopped_by} and passed it on to the command, which ${how(exit)}`, false, exit.code ?? undefined);
    }
    if (exit.code === null) return fail('EXEC_SIGNAL', `command was killed by ${exit.signal ?? 'a signal'}`, true);
    if (exit.code !== 0) return fail('EXEC_EXIT_CODE', `command exited with code ${exit.code}${EXIT_HINTS[exit.code] ?? ''}`, true, exit.code);
    try {
      const outputs = (await readOutputsFile(attempt.outputFile)) ?? {};
      attempt.resolve({ exit_code: 0, stdout: attempt.stdout, outputs });
    } catch (err) {
      attempt.reject(err);
    } finally {
      rmSync(attempt.outputFile, { force: true });
    }
  }
}

/** The driver's options for a step, with a workflow file's retry defaults. */
function stepOptions(request: StepRequest): StepOptions {
  // A queue name the client did not check (an old client, a hand-made request) is not a queue: the step runs here.
  const queue = typeof request.queue === 'string' && QUEUE_NAME.test(request.queue) ? { queue: request.queue } : {};
  const retry = request.retry;
  if (retry === undefined || retry.attempts <= 1) return queue;
  const policy: RetryPolicy = {
    attempts: retry.attempts,
    delay: retry.delay_ms ?? RETRY_DEFAULTS.delay,
    backoff: retry.backoff ?? RETRY_DEFAULTS.backoff,
    factor: RETRY_DEFAULTS.factor,
    jitter: RETRY_DEFAULTS.jitter,
  };
  return { retry: policy, ...queue };
}

/** The stdout a step recorded (its result's), for a replay; a result of another shape has none. */
function recordedStdout(value: unknown): string {
  const stdout = (value as { stdout?: unknown } | null | undefined)?.stdout;
  return typeof stdout === 'string' ? stdout : '';
}

function failure(key: string, err: unknown): StepFailure {
  if (err instanceof StepFailed) {
    const error = err.taskError;
    const exitCode = error.exit_code ?? (error.code === 'STEP_CANCELLED' ? 130 : error.code === 'EXEC_TIMEOUT' ? 124 : 1);
    // "no retry configured" is the rule for a step without --retry, not news.
    const why = error.not_retried === undefined || error.not_retried === 'no retry configured' ? '' : `; not retried: ${error.not_retried}`;
    return { key, exit_code: exitCode, code: error.code, message: `step ${key} failed: ${error.message}${why}`, ...(error.stderr_tail ? { stderr_tail: error.stderr_tail } : {}) };
  }
  const code = err instanceof BatonError ? err.code : 'STEP_ERROR';
  return { key, exit_code: 1, code, message: `step ${key} failed: ${(err as Error)?.message ?? String(err)}` };
}

function clientLost(key: string): StepCommandError {
  return new StepCommandError(
    'STEP_CLIENT_LOST',
    `the \`baton step\` process running ${key} ended before it said how the command did (it was killed, or the script exited without waiting for it)`,
    false,
  );
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Gone already.
  }
}

function how(exit: AttemptExit): string {
  return exit.code === null ? `was killed by ${exit.signal ?? 'a signal'}` : `exited with code ${exit.code}`;
}

/** What the shell's conventional exit codes mean (as for shell tasks). */
const EXIT_HINTS: Record<number, string> = {
  126: ': a program it runs was found but could not be executed (check its permissions)',
  127: ': a program it runs was not found (check its name and PATH; see stderr)',
};
