/**
 * A script in any language as a code run (`baton run deploy.sh`): the script's text is the
 * run's snapshot, and a resume runs that text again from the top. Its output goes to the
 * run's `main` log; `baton step` inside it makes a command a durable step of the run
 * (sdk/step-server.ts), `baton summary` sets what the run reports back.
 *
 * The script runs in a process group of its own, as a shell task does: stopping the run
 * (cancel, SIGTERM) sends the group SIGTERM, then SIGKILL after the grace, and baton's
 * exit takes it down (executors/process-group.ts).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunState } from '../engine/state.js';
import { ProgramFailure, type StepHost, type StepProgram } from '../engine/steps/program.js';
import { ExecutorError } from '../executors/errors.js';
import { runProcessGroup } from '../executors/process-group.js';
import type { TaskIO } from '../executors/types.js';
import { workflowTextHash } from '../spec/text-hash.js';
import type { Workflow } from '../spec/model.js';
import type { CodeSnapshot } from '../store/events.js';
import { CodeLoadError } from './load-errors.js';
import { SOCKET_ENV } from './step-protocol.js';
import { startStepServer, type StepServer } from './step-server.js';

/** Interpreters by extension, for a script without a #! line. */
const INTERPRETERS: Record<string, string[]> = {
  '.sh': ['/bin/sh'],
  '.bash': ['bash'],
  '.py': ['python3'],
  '.rb': ['ruby'],
  '.pl': ['perl'],
};

/** The snapshot of a script: its text, and the command that runs it. Throws CodeLoadError. */
export function scriptSnapshot(file: string): CodeSnapshot {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `no such file (check the path; it is relative to ${process.cwd()})` : code === 'EISDIR' ? 'it is a folder, not a file' : (error as Error).message;
    throw new CodeLoadError(code === 'ENOENT' ? 'CODE_NOT_FOUND' : 'CODE_READ', `${file}: ${why}`, { cause: error, details: { file } });
  }
  const interpreter = interpreterOf(text, absolute);
  if (interpreter === undefined) {
    throw new CodeLoadError(
      'CODE_NO_INTERPRETER',
      `${file}: baton cannot tell what runs this script: give it a #! line (#!/usr/bin/env bash), or a known extension (.sh .bash .py .rb .pl); workflow files end in .yaml, .yml or .json`,
      { details: { file } },
    );
  }
  return { language: 'script', file: absolute, sha256: workflowTextHash(text), text, interpreter };
}

/** The command that runs the script: its #! line's, else its extension's; undefined when neither says. */
function interpreterOf(text: string, file: string): string[] | undefined {
  if (text.startsWith('#!')) {
    const line = text.slice(2, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n')).trim();
    const words = line.split(/\s+/).filter((w) => w !== '');
    if (words.length > 0) return words;
  }
  return INTERPRETERS[path.extname(file).toLowerCase()];
}

/** What a script run records as its workflow: the script's name, no inputs (scripts read their environment). */
export function scriptWorkflow(code: CodeSnapshot): Workflow {
  return {
    name: path.basename(code.file),
    environment: {},
    inputs: {},
    tasks: [],
    callbacks: [],
    alerts: [],
    source: { file: code.file, format: 'canonical' },
  };
}

/** Lines of output kept as the run's summary when the script sets none, and of stderr when it fails. */
const SUMMARY_LINES = 10;

export function scriptProgram(code: CodeSnapshot, state: RunState): StepProgram {
  const stopper = new AbortController();
  let server: StepServer | undefined;
  return {
    async run(host: StepHost) {
      mkdirSync(host.scratchDir, { recursive: true });
      const file = path.join(host.scratchDir, `script-${path.basename(code.file)}`);
      writeFileSync(file, code.text);
      chmodSync(file, 0o700);
      server = await startStepServer(host);
      const [command, ...args] = [...(code.interpreter ?? []), file];
      const env: Record<string, string> = {
        ...host.taskEnv,
        BATON_RUN_ID: host.runId,
        [SOCKET_ENV]: server.socket,
        PATH: [server.binDir, host.taskEnv.PATH].filter((p) => p !== undefined && p !== '').join(path.delimiter),
      };
      // runProcessGroup reads only stdout and stderr of a TaskIO.
      const io = { stdout: (chunk: string) => host.output('stdout', chunk), stderr: (chunk: string) => host.output('stderr', chunk) } as TaskIO;
      let ended;
      try {
        ended = await runProcessGroup({ program: command, args, cwd: host.baseDir, env }, io, stopper.signal);
      } catch (err) {
        if (err instanceof ExecutorError && err.code === 'EXEC_SPAWN') throw new ProgramFailure({ code: 'EXEC_SPAWN', message: err.message });
        throw err;
      }
      if (ended.exitCode === 0) return server.summarySet ? {} : { summary: ended.stdout.lastLines(SUMMARY_LINES).trimEnd() };
      const exitCode = ended.exitCode ?? 128;
      const failed = server.lastFailure;
      // `set -e` after a failed step: the script's exit code is the step's; say which step.
      const after = failed !== undefined && failed.exit_code === exitCode ? ` after ${failed.message}` : '';
      const why = ended.signal ? `was killed by ${ended.signal}` : `exited with code ${exitCode}${after}`;
      throw new ProgramFailure({
        code: 'EXEC_EXIT_CODE',
        message: `${state.plan.workflow.name} ${why}`,
        exit_code: exitCode,
        // A step's stderr is in its own log, not the script's: the failed step's tail says why.
        stderr_tail: (after !== '' ? failed?.stderr_tail : undefined) ?? ended.stderr.lastLines(SUMMARY_LINES),
      });
    },
    stop(reason) {
      stopper.abort(reason);
    },
    async cleanUp() {
      server?.close();
    },
  };
}
