/**
 * A command channel: a program run once per notice, in its own process group (as a shell
 * task runs), with the notice as JSON on its stdin (its fields and `channel`) and the
 * short facts in its environment: BATON_NOTICE_KIND, _RUN_ID, _WORKFLOW, _STATUS, _TITLE,
 * _DELIVERY and _CHANNEL (unset when the notice has none). Nothing of the notice is ever
 * put into the command line, so a command given as a string (run as `sh -c <string>`)
 * reads the notice as data: `"$BATON_NOTICE_TITLE"` is expanded by the shell as a value,
 * never parsed as code.
 *
 * Exit 0: sent. Exit 2: the notice can never be sent (a bad address, a refused message):
 * NOTIFY_COMMAND_EXIT, not retried. Any other exit, or a signal: NOTIFY_COMMAND_EXIT,
 * retryable. Past its timeout (default 30 s), or on abort, the whole group gets SIGTERM,
 * then SIGKILL: NOTIFY_COMMAND_TIMEOUT (retryable), or EXEC_ABORTED.
 */
import { abortedError, ExecutorError } from '../../executors/errors.js';
import { runProcessGroup } from '../../executors/process-group.js';
import type { CommandChannel } from '../../spec/notify-channels.js';
import type { Delivered, Notice, NoticeIO } from './notice.js';
import type { Env } from './secrets.js';

/** The exit code that says "never retry this notice". */
export const EXIT_PERMANENT = 2;
/** Characters of its stderr quoted in the error. */
const QUOTED_CHARS = 500;
/** Wait between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

const QUIET: NoticeIO = { stdout: () => {}, stderr: () => {} };

/** The environment the command gets: the sender's, without stale BATON_NOTICE_ values, plus this notice's. */
export function commandEnv(name: string, notice: Notice, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !key.startsWith('BATON_NOTICE_')) out[key] = value;
  const facts: Record<string, string | undefined> = {
    KIND: notice.kind,
    RUN_ID: notice.run_id,
    WORKFLOW: notice.workflow,
    STATUS: notice.status,
    TITLE: notice.title,
    DELIVERY: notice.delivery,
    CHANNEL: name,
  };
  for (const [key, value] of Object.entries(facts)) if (value !== undefined) out[`BATON_NOTICE_${key}`] = value.replace(/\0/g, '');
  return out;
}

export async function sendCommand(
  name: string,
  channel: CommandChannel,
  notice: Notice,
  env: Env,
  signal: AbortSignal,
  who: string,
  options: { io?: NoticeIO; cwd?: string } = {},
): Promise<Delivered> {
  const [program, ...args] = channel.command;
  const shown = `command ${program}`;
  if (signal.aborted) throw abortedError(signal, shown);
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(new Error(`ran past its timeout of ${channel.timeout_ms} ms`)), channel.timeout_ms);
  const stop = AbortSignal.any([signal, timer.signal]);
  let result;
  try {
    result = await runProcessGroup(
      {
        program,
        args,
        cwd: channel.cwd ?? options.cwd ?? process.cwd(),
        env: commandEnv(name, notice, env),
        stdin: `${JSON.stringify({ ...notice, channel: name })}\n`,
        killGraceMs: KILL_GRACE_MS,
      },
      options.io ?? QUIET,
      stop,
    );
  } catch (err) {
    if (timer.signal.aborted && !signal.aborted) {
      throw new ExecutorError('NOTIFY_COMMAND_TIMEOUT', `${who}: ${shown} ran past its timeout of ${channel.timeout_ms} ms and was stopped; raise the channel's timeout or make it faster`, {
        retryable: true,
        cause: err,
      });
    }
    if (err instanceof ExecutorError && err.code === 'EXEC_SPAWN') throw new ExecutorError('EXEC_SPAWN', `${who}: ${err.message}`, { retryable: false, cause: err });
    throw err;
  } finally {
    clearTimeout(timeout);
  }
  if (result.exitCode === 0) return { status: 0, detail: `${shown} -> exit 0` };
  const tail = result.stderr.lastLines(5, QUOTED_CHARS);
  const how = result.exitCode === null ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  const permanent = result.exitCode === EXIT_PERMANENT;
  throw new ExecutorError('NOTIFY_COMMAND_EXIT', `${who}: ${shown} ${how}${tail === '' ? '' : `: ${tail}`}${permanent ? ' (exit 2: the notice cannot be sent; not retried)' : ''}`, {
    retryable: !permanent,
    ...(result.exitCode === null ? {} : { exit_code: result.exitCode }),
    stderr_tail: tail,
  });
}
