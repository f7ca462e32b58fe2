/**
 * ctx.sh: run a shell command from a TypeScript workflow's step, written as a tagged
 * template: `` await ctx.sh`kubectl rollout restart deployment/${name} -n ${ns}` ``.
 *
 * Each interpolated value reaches the shell as data, never as code, by the quoting the
 * YAML engine uses for `${ }` in a shell task's command (expr/shell.ts): the template's
 * literal text is read by the same state machine, and each value is written in the one
 * form the shell reads back verbatim where it lands (a plain word, '...', escaped inside
 * "..."). An array becomes one word per item; numbers and booleans their text; anything
 * else (null, undefined, an object) is refused with SH_BAD_VALUE rather than becoming
 * `undefined` or `[object Object]` in a command that then does something else.
 *
 * The text is JavaScript's (cooked): `\n` is a line break, and a shell variable written
 * `${HOME}` must be escaped as `\${HOME}` or written `$HOME`, since `${ }` is JavaScript's.
 *
 * The command runs as `/bin/sh -c` in its own process group (executors/process-group.ts):
 * an abort takes down everything it started. Every chunk of output goes to io.output as it
 * arrives; only the first maxBuffer bytes of each stream are kept for the result.
 */
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { clip } from '../expr/errors.js';
import { ShellQuoter, UnsafeShellValue } from '../expr/shell.js';
import { abortedError, ExecutorError } from '../executors/errors.js';
import { runProcessGroup, type ProcessResult } from '../executors/process-group.js';
import { STDERR_TAIL_CHARS, STDERR_TAIL_LINES } from '../executors/process-task.js';
import type { TaskIO } from '../executors/types.js';
import { SdkError } from './errors.js';
import { parseResultJson } from './result-json.js';

/** Bytes of each stream kept in memory for the result by default: 1 MiB. */
export const DEFAULT_MAX_BUFFER = 1024 * 1024;

export interface CommandIO {
  /** Working directory of the command. */
  cwd: string;
  /** The whole environment of the process (nothing is added to it). */
  env: Record<string, string>;
  /** Aborting stops the command: SIGTERM to its process group, SIGKILL after killGraceMs; rejects with EXEC_ABORTED. Default: never aborted. */
  signal?: AbortSignal;
  /** Every chunk of output as it arrives, decoded as UTF-8; default: output is not streamed anywhere. */
  output?: (stream: 'stdout' | 'stderr', chunk: string) => void;
  /** Told the quoted command line just before it starts (for a `$ <command>` log line); default: nobody. */
  started?: (commandLine: string) => void;
  /** Bytes of each stream kept for the result; the rest is only streamed and result.truncated says so. Default DEFAULT_MAX_BUFFER (1 MiB). */
  maxBuffer?: number;
  /** Wait between SIGTERM and SIGKILL on abort; default KILL_GRACE_MS of process-group.ts (5 s). */
  killGraceMs?: number;
}

export interface CommandResult {
  /** The exit code; 128 + the signal's number when a signal ended the command, as shells report it. */
  exitCode: number;
  /** The first maxBuffer bytes of each stream. */
  stdout: string;
  stderr: string;
  /** Whether either stream was longer than maxBuffer (the rest reached io.output only). */
  truncated: boolean;
  /** stdout parsed as JSON; throws SH_JSON when it is not JSON or was truncated. */
  json<T = unknown>(): T;
  /** stdout's lines, without line ends; no trailing empty line. */
  lines(): string[];
}

export type ShTag = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<CommandResult>;

/** Rejects with SH_EXIT on a non-zero exit; `nothrow` resolves with the result instead. */
export type Sh = ShTag & { nothrow: ShTag };

/** `exitCode`, the command line and the stderr tail of a command that failed, and its whole result. */
export class CommandFailed extends SdkError {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
    readonly stderrTail: string,
    signal: NodeJS.Signals | null,
  ) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${result.exitCode}`;
    const last = stderrTail.slice(stderrTail.lastIndexOf('\n') + 1);
    super('SH_EXIT', `command \`${clip(command)}\` ${how}${last.trim() ? `; stderr ends: ${clip(last)}` : ''}`, {
      retryable: true,
      details: { command: clip(command, 1000), exit_code: result.exitCode, signal, stderr_tail: stderrTail },
    });
  }

  get exitCode(): number {
    return this.result.exitCode;
  }
}

/** `io` is asked at every command, so each runs with the signal and output of the step it is in. */
export function makeSh(io: () => CommandIO): Sh {
  const sh: ShTag = (strings, ...values) => runCommand(strings, values, io(), false);
  const nothrow: ShTag = (strings, ...values) => runCommand(strings, values, io(), true);
  return Object.assign(sh, { nothrow });
}

const NEVER = new AbortController().signal;

async function runCommand(strings: TemplateStringsArray, values: unknown[], io: CommandIO, nothrow: boolean): Promise<CommandResult> {
  const command = commandLine(strings, values);
  const maxBuffer = io.maxBuffer ?? DEFAULT_MAX_BUFFER;
  if (!Number.isInteger(maxBuffer) || maxBuffer < 0) throw new RangeError(`maxBuffer must be a whole number of bytes, 0 or more; got ${maxBuffer}`);
  const stdout = new Head(maxBuffer);
  const stderr = new Head(maxBuffer);
  const output = io.output;
  // runProcessGroup reads only stdout and stderr of a TaskIO.
  const streams: Pick<TaskIO, 'stdout' | 'stderr'> = {
    stdout(chunk) {
      stdout.append(chunk);
      output?.('stdout', chunk);
    },
    stderr(chunk) {
      stderr.append(chunk);
      output?.('stderr', chunk);
    },
  };
  const signal = io.signal ?? NEVER;
  const what = `command \`${clip(command)}\``;
  if (signal.aborted) throw abortedError(signal, what);
  io.started?.(command);
  let ended: ProcessResult;
  try {
    ended = await runProcessGroup(
      { program: '/bin/sh', args: ['-c', command], cwd: io.cwd, env: io.env, killGraceMs: io.killGraceMs },
      streams as TaskIO,
      signal,
    );
  } catch (err) {
    // Named by the command it ran, not by /bin/sh.
    if (err instanceof ExecutorError && err.code === 'EXEC_ABORTED') throw abortedError(signal, what);
    throw err;
  }
  const exitCode = ended.exitCode ?? 128 + (ended.signal ? constants.signals[ended.signal] : 0);
  const result = commandResult(command, exitCode, stdout, stderr);
  if (exitCode !== 0 && !nothrow) {
    throw new CommandFailed(command, result, ended.stderr.lastLines(STDERR_TAIL_LINES, STDERR_TAIL_CHARS), ended.exitCode === null ? ended.signal : null);
  }
  return result;
}

function commandResult(command: string, exitCode: number, stdout: Head, stderr: Head): CommandResult {
  const out = stdout.toString();
  return {
    exitCode,
    stdout: out,
    stderr: stderr.toString(),
    truncated: stdout.truncated || stderr.truncated,
    json<T>(): T {
      return parseResultJson<T>(out, {
        what: `the stdout of \`${clip(command, 100)}\``,
        code: 'SH_JSON',
        truncated: stdout.truncated ? `maxBuffer (${stdout.max} bytes); raise maxBuffer` : undefined,
      });
    },
    lines(): string[] {
      if (out === '') return [];
      return out.replace(/\r?\n$/, '').split(/\r?\n/);
    },
  };
}

/** The first `max` bytes of a stream, cut between characters, never inside one. */
class Head {
  private parts: string[] = [];
  private room: number;
  truncated = false;

  constructor(readonly max: number) {
    this.room = max;
  }

  append(chunk: string): void {
    if (this.truncated || chunk === '') return;
    const bytes = Buffer.byteLength(chunk);
    if (bytes <= this.room) {
      this.parts.push(chunk);
      this.room -= bytes;
      return;
    }
    // The decoder keeps back a character cut in two, so what is pushed is whole characters.
    this.parts.push(new StringDecoder('utf8').write(Buffer.from(chunk).subarray(0, this.room)));
    this.room = 0;
    this.truncated = true;
  }

  toString(): string {
    if (this.parts.length > 1) this.parts = [this.parts.join('')];
    return this.parts[0] ?? '';
  }
}

/**
 * The command line a tagged template stands for, each value quoted for where it lands.
 * Throws SH_BAD_VALUE for a value that cannot be put there safely.
 *
 * Like renderShell (expr/index.ts), a second machine is fed a neutral value at each place:
 * if the real values ever leave the two in different states (a value holding the line
 * that ends a heredoc, say), a value changed how the shell reads the command.
 */
export function commandLine(strings: TemplateStringsArray, values: unknown[]): string {
  if (!Array.isArray(strings) || !Array.isArray((strings as Partial<TemplateStringsArray>).raw)) {
    throw new SdkError('SH_BAD_VALUE', 'sh is a tagged template, called without parentheses: sh`ls ${dir}`, not sh(`ls ${dir}`), which would leave the values unquoted', {
      retryable: false,
    });
  }
  // A cooked string is undefined after an invalid escape (`\u` not followed by hex): the raw text then.
  const texts = strings.map((cooked, i) => cooked ?? strings.raw[i]);
  const real = new ShellQuoter();
  const shadow = new ShellQuoter();
  let out = '';
  for (const [i, text] of texts.entries()) {
    if (i > 0) out += quoteValue(values[i - 1], i - 1, { texts, real, shadow, before: out, next: text[0] ?? '' });
    // Line by line: a heredoc ends at a newline, so a value can end it early even though
    // both machines agree again after the template's own delimiter line.
    for (const line of text.split(/(?<=\n)/)) {
      real.feed(line);
      shadow.feed(line);
      if (real.signature() !== shadow.signature()) throw badValue(texts, i - 1, 'it changes how the shell reads the rest of the command');
    }
    out += text;
  }
  return out;
}

interface Place {
  texts: string[];
  real: ShellQuoter;
  shadow: ShellQuoter;
  /** The command so far. */
  before: string;
  /** The character the template goes on with after the value. */
  next: string;
}

function quoteValue(value: unknown, index: number, place: Place): string {
  const { real, shadow } = place;
  const words = Array.isArray(value) ? value.map((item, j) => asText(item, place.texts, index, j)) : [asText(value, place.texts, index)];
  if (Array.isArray(value) && !splitsWords(place.before)) {
    throw badValue(place.texts, index, 'it is an array, which becomes several words, and it is inside quotes (or a comment or heredoc) where there are no words: remove the quotes, or join the items yourself');
  }
  let out = '';
  try {
    for (const [j, word] of words.entries()) {
      const last = j === words.length - 1;
      out += real.quote(word, last ? place.next : ' ');
      shadow.quote('0', last ? place.next : ' ');
      if (!last) {
        out += ' ';
        real.feed(' ');
        shadow.feed(' ');
      }
    }
  } catch (err) {
    if (err instanceof UnsafeShellValue) throw badValue(place.texts, index, err.message, err);
    throw err;
  }
  return out;
}

/**
 * Whether the shell splits words at `command` + value: a quote there would open a
 * '...' string (it closes one inside '...', and is a plain character inside "...",
 * a comment or a heredoc).
 */
function splitsWords(command: string): boolean {
  const probe = new ShellQuoter();
  probe.feed(command);
  const frames = probe.signature().split('|')[0];
  probe.feed("'");
  return probe.signature().split('|')[0] === `${frames}S`;
}

function asText(value: unknown, texts: string[], index: number, item?: number): string {
  const what = item === undefined ? '' : `item ${item} of the array `;
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'bigint' || typeof value === 'boolean') text = String(value);
  else throw badValue(texts, index, `${what}is ${describeValue(value)}, not a string, number, boolean or array of them: convert it first (String(x), JSON.stringify(x), or x ?? 'default' for a value that may be missing)`);
  if (text.includes('\0')) throw badValue(texts, index, `${what}holds a NUL byte (\\0), which cannot be passed to a process: remove it, or hand the data over in a file`);
  return text;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array (arrays inside arrays are not flattened)';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`;
}

/** SH_BAD_VALUE naming the value by its place: `${#2} in "kubectl -n ${#1} get ${#2}"`. */
function badValue(texts: string[], index: number, why: string, cause?: unknown): SdkError {
  const template = texts.map((text, i) => (i === 0 ? text : `\${#${i}}${text}`)).join('');
  const at = index + 1;
  return new SdkError('SH_BAD_VALUE', `sh: value \${#${at}} in \`${clip(template)}\` cannot go into the command: ${why}`, {
    retryable: false,
    cause,
    details: { value: at, template: clip(template) },
  });
}
