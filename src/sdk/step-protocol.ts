/**
 * What `baton step` / `baton summary` (the client, src/cli/commands/step.ts, in the
 * script's process tree) and the step server (sdk/step-server.ts, in the baton process
 * driving the run) say to each other over the unix socket named by $BATON_STEP_SOCKET:
 * one JSON object per line, one connection per call. The client opens with a request; for
 * a step the conversation is
 *
 *   client: {v, step: {id, command, retry?, timeout_ms?}}
 *   server: {run: {key, attempt, ...}}    run attempt N of the command (none on a replay)
 *   client: {started: {pid}}              its process group, for baton to kill if it must exit
 *   client: {out: "..."} / {err: "..."}   its output, as it comes
 *   client: {exit: {code, signal, ...}}   how attempt N ended
 *   server: {run: ...} again              a retry, after its delay
 *   server: {done: ...} | {failed: ...}   the step's recorded end; the client exits by it
 *
 * and the server may send {kill: reason} while an attempt runs (the run is cancelled or
 * stopped): the client stops the command's process group and reports its exit.
 * `baton skill run` inside a script is one request and one answer: the server runs the
 * skill as a child-run step of the script's run and answers {done} with its outputs as
 * JSON in `stdout`, or {failed}; `baton summary` is {summary} and {ok}.
 * This file holds only types and framing: both bundles (the CLI and the light `step`
 * entry) share it.
 */

/** Bumped when a message changes meaning; a mismatch is refused with STEP_PROTOCOL. */
export const PROTOCOL_VERSION = 1;

/** The environment variable that names the socket inside a script run. */
export const SOCKET_ENV = 'BATON_STEP_SOCKET';

/** Characters of a step's stdout recorded in its result (and printed on a replay); the rest is in its log. */
export const RECORDED_STDOUT_CHARS = 64 * 1024;

/** A line longer than this is refused (a summary is the longest legitimate one). */
export const MAX_LINE_CHARS = 8 * 1024 * 1024;

export interface StepRequest {
  /** The step's id; the key is `id`, `id#2`... by the order the script asks. */
  id: string;
  /** The command and its arguments, for messages (the client runs it). */
  command: string[];
  /** Tries in all, counting the first; the delay before the first retry (ms) and how it grows. */
  retry?: { attempts: number; delay_ms?: number; backoff?: 'fixed' | 'linear' | 'exponential' };
  /** Per attempt: the client stops the command after this long. */
  timeout_ms?: number;
  /** A remote step: its attempts run on a worker serving this queue when workers drive the run (engine/steps/remote-steps.ts). */
  queue?: string;
}

/** `baton skill run <name> --with k=v` inside a script: a durable step that runs the skill. */
export interface SkillRequest {
  name: string;
  inputs: Record<string, unknown>;
}

export type ClientMessage =
  | { v: number; step: StepRequest }
  | { v: number; skill: SkillRequest }
  | { v: number; summary: string }
  | { started: { pid: number } }
  | { out: string }
  | { err: string }
  | { exit: AttemptExit };

export interface AttemptExit {
  /** Exit code, or null when a signal ended the command. */
  code: number | null;
  signal: string | null;
  /** The client stopped the command at --timeout. */
  timed_out?: boolean;
  /** The client was sent this signal and passed it on to the command. */
  stopped_by?: string;
  /** The command could not be started (not found, not executable). */
  spawn_error?: string;
}

export interface AttemptOrder {
  key: string;
  attempt: number;
  idempotency_key: string;
  /** The $BATON_OUTPUT file of this attempt. */
  output_file: string;
}

export type ServerMessage =
  | { run: AttemptOrder }
  | { kill: string }
  | { done: { key: string; exit_code: 0; stdout: string } }
  | { failed: { key: string; exit_code: number; code: string; message: string } }
  | { ok: true }
  | { error: { code: string; message: string } };

/** One message as a line. */
export function encode(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message) + '\n';
}

/**
 * Splits a stream of text into lines and parses each as JSON. Throws (from push) when a
 * line is not JSON or is longer than MAX_LINE_CHARS: the other side is not a baton of
 * this version, and the conversation cannot go on.
 */
export class LineReader {
  private buffer = '';

  constructor(private readonly onMessage: (message: Record<string, unknown>) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf('\n');
    while (newline !== -1) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      if (line.trim() !== '') this.onMessage(parseLine(line));
      newline = this.buffer.indexOf('\n');
    }
    if (this.buffer.length > MAX_LINE_CHARS) throw new Error(`a message of over ${MAX_LINE_CHARS} characters`);
  }
}

function parseLine(line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`a message that is not JSON: ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`a message that is not a JSON object: ${JSON.stringify(line.slice(0, 80))}`);
  return value as Record<string, unknown>;
}
