/**
 * What shell and script tasks share: the environment baton gives a process, the
 * $BATON_OUTPUT file, running it in a process group, and turning its end into a result
 * or an ExecutorError.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { DataError, parseJson } from '../expr/safe-json.js';
import { ExecutorError } from './errors.js';
import { readOutputsFile } from './outputs-file.js';
import { OutputsWatch } from './outputs-watch.js';
import { runProcessGroup, type ProcessResult } from './process-group.js';
import type { Tail } from './tail.js';
import type { ExecutorResult, TaskIO } from './types.js';

export interface ProcessOptions {
  /** Wait between SIGTERM and SIGKILL when a task is stopped; default KILL_GRACE_MS (5 s). */
  killGraceMs?: number;
}

export interface ProcessTask {
  program: string;
  args: string[];
  cwd: string;
  /** Written to stdin; default: stdin is /dev/null. */
  stdin?: string;
  /** Variables on top of io.env and the BATON_* ones. */
  env?: Record<string, string>;
  /** `command` or `script`, for messages. */
  what: string;
  /** When $BATON_OUTPUT is empty, read the last stdout line as a JSON object; default false. */
  stdoutJson?: boolean;
}

/** Characters of stdout put in outputs.stdout. */
export const STDOUT_OUTPUT_CHARS = 4096;
/** Lines, and characters at most, of stderr put in an error's stderr_tail. */
export const STDERR_TAIL_LINES = 20;
export const STDERR_TAIL_CHARS = 8192;

let fileCounter = 0;

/**
 * A fresh file name in the run's scratch folder (which exists: TaskIO.scratchDir). Unique
 * in this process, as the engine shares one folder between attempts; nothing is created
 * at the path itself.
 */
export function scratchFile(io: TaskIO, prefix: string, extension = ''): string {
  return join(io.scratchDir, `${prefix}-${process.pid}-${++fileCounter}${extension}`);
}

export function resolveCwd(cwd: string | undefined, io: TaskIO): string {
  if (cwd === undefined || cwd === '') return io.baseDir;
  return isAbsolute(cwd) ? cwd : resolve(io.baseDir, cwd);
}

export async function runProcessTask(
  task: ProcessTask,
  io: TaskIO,
  signal: AbortSignal,
  options: ProcessOptions,
): Promise<ExecutorResult> {
  const outputFile = scratchFile(io, 'output');
  const watch = watchProgress(outputFile, io);
  let result: ProcessResult;
  try {
    result = await runProcessGroup(
      { program: task.program, args: task.args, cwd: task.cwd, env: processEnv(task, io, outputFile), stdin: task.stdin, killGraceMs: options.killGraceMs },
      io,
      signal,
    );
  } finally {
    // Its last report is read before its end is: a failed attempt shows how far it got too.
    watch?.stop();
  }
  checkExit(result, task.what);
  const parsed = (await readOutputsFile(outputFile)) ?? (task.stdoutJson ? lastLineJson(result.stdout) : undefined) ?? {};
  const outputs = 'stdout' in parsed ? parsed : { ...parsed, stdout: lastChars(result.stdout, STDOUT_OUTPUT_CHARS).trim() };
  return { outputs, exit_code: 0 };
}

/** Reads the task's progress lines from its $BATON_OUTPUT while it runs, when something records them. */
export function watchProgress(outputFile: string, io: TaskIO): OutputsWatch | undefined {
  if (io.progress === undefined) return undefined;
  return new OutputsWatch(outputFile, (input) => io.progress!(input), (line) => io.stderr(line));
}

/**
 * The process's environment: io.env, then the task's own variables and the BATON_* ones.
 * io.env is the prototype of the object made here, not copied into it: Node's spawn reads
 * inherited variables too (`for...in`), and a copy of ~50 variables per task, kept for the
 * task's life, was most of what a run of short tasks left for the garbage collector (and
 * a bigger baton process forks more slowly).
 */
export function processEnv(task: ProcessTask, io: TaskIO, outputFile: string): Record<string, string> {
  const own = {
    ...task.env,
    BATON_OUTPUT: outputFile,
    BATON_RUN_ID: io.runId,
    BATON_TASK: io.taskKey,
    BATON_ATTEMPT: String(io.attempt),
    BATON_IDEMPOTENCY_KEY: io.idempotencyKey,
    // The attempt's span, for programs that join the run's trace (OpenTelemetry SDKs read it).
    ...(io.traceparent !== undefined ? { TRACEPARENT: io.traceparent } : {}),
  };
  // Defined, not assigned: a read-only variable of io.env (a frozen object) is shadowed all the same.
  const env = Object.create(io.env, Object.getOwnPropertyDescriptors(own)) as Record<string, string>;
  checkNulBytes(task, env, io.taskKey);
  return env;
}

/**
 * A process receives its command line and environment as C strings, which end at a NUL
 * byte; Node refuses such values with a bare ERR_INVALID_ARG_VALUE. Values from templates
 * (another task's output) can hold one, so the field and the task are named here instead.
 */
function checkNulBytes(task: ProcessTask, env: Record<string, string>, taskKey: string): void {
  let field: string | undefined;
  if (task.cwd.includes('\0')) field = 'the working directory (cwd)';
  const argIndex = task.args.findIndex((arg) => arg.includes('\0'));
  if (argIndex >= 0) field = task.what === 'command' ? 'the command' : `argument ${argIndex + 1} of the ${task.what}`;
  // Inherited variables included, as spawn passes them on.
  for (const name in env) {
    if (name.includes('\0') || env[name].includes('\0')) field = `environment variable ${JSON.stringify(name.replaceAll('\0', '\\0'))}`;
  }
  if (field === undefined) return;
  throw new ExecutorError('EXEC_NUL_BYTE', `${field} of task ${taskKey} holds a NUL byte (\\0), which cannot be passed to a process: remove it, or hand the data over in a file`, {
    retryable: false,
    details: { task: taskKey, field },
  });
}

/** Throws EXEC_SIGNAL or EXEC_EXIT_CODE (with what its code means, from `hints`) unless the process exited 0. */
export function checkExit(result: ProcessResult, what: string, hints: Record<number, string> = EXIT_HINTS): void {
  if (result.exitCode === 0) return;
  const stderr_tail = result.stderr.lastLines(STDERR_TAIL_LINES, STDERR_TAIL_CHARS);
  if (result.exitCode === null) {
    throw new ExecutorError('EXEC_SIGNAL', `${what} was killed by ${result.signal ?? 'a signal'}`, {
      retryable: true,
      stderr_tail,
    });
  }
  const code = result.exitCode;
  throw new ExecutorError('EXEC_EXIT_CODE', `${what} exited with code ${code}${hints[code] ?? ''}`, {
    retryable: true,
    exit_code: code,
    stderr_tail,
  });
}

/** What the shell's conventional exit codes mean. */
const EXIT_HINTS: Record<number, string> = {
  126: ': a program it runs was found but could not be executed (check its permissions)',
  127: ': a program it runs was not found (check its name and PATH; see stderr)',
};

export function lastChars(tail: Tail, count: number): string {
  const text = tail.toString();
  return text.length > count ? text.slice(-count) : text;
}

function lastLineJson(stdout: Tail): Record<string, unknown> | undefined {
  const line = stdout.lastLines(1).trim();
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = parseJson(line, 'the last line of stdout');
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch (err) {
    // Not JSON: the line is plain output. JSON too deep or too big to keep: the task fails.
    if (err instanceof DataError) throw err;
    return undefined;
  }
}
