/**
 * A script in any language as a code run (`baton run deploy.sh`): the script's text is the
 * run's snapshot, and a resume runs that text again from the top. Its output goes to the
 * run's `main` log; `baton step` inside it makes a command a durable step of the run
 * (sdk/step-server.ts), `baton summary` sets what the run reports back.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunState } from '../engine/state.js';
import { ProgramFailure, type StepHost, type StepProgram } from '../engine/steps/program.js';
import { workflowTextHash } from '../spec/text-hash.js';
import type { Workflow } from '../spec/model.js';
import type { CodeSnapshot } from '../store/events.js';
import { CodeLoadError } from './load-errors.js';

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

/** Lines of output kept as the run's summary when the script sets none. */
const SUMMARY_LINES = 10;

export function scriptProgram(code: CodeSnapshot, state: RunState): StepProgram {
  let child: ReturnType<typeof spawn> | undefined;
  return {
    run(host: StepHost) {
      return new Promise((resolve, reject) => {
        mkdirSync(host.scratchDir, { recursive: true });
        const file = path.join(host.scratchDir, `script-${path.basename(code.file)}`);
        writeFileSync(file, code.text);
        chmodSync(file, 0o700);
        const [command, ...args] = [...(code.interpreter ?? []), file];
        const last = new LastLines(SUMMARY_LINES);
        const stderrTail = new LastLines(SUMMARY_LINES);
        child = spawn(command, args, {
          cwd: host.baseDir,
          env: { ...host.taskEnv, BATON_RUN_ID: host.runId },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
          host.output('stdout', chunk);
          last.push(chunk);
        });
        child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
          host.output('stderr', chunk);
          stderrTail.push(chunk);
        });
        child.on('error', (err) => reject(new ProgramFailure({ code: 'EXEC_SPAWN', message: `cannot start ${command}: ${err.message}` })));
        child.on('close', (exitCode, signal) => {
          if (exitCode === 0) return resolve({ summary: last.text() });
          const code = exitCode ?? 128;
          const why = signal ? `was killed by ${signal}` : `exited with code ${code}`;
          reject(new ProgramFailure({ code: 'EXEC_EXIT_CODE', message: `${state.plan.workflow.name} ${why}`, exit_code: code, stderr_tail: stderrTail.text() }));
        });
      });
    },
    stop() {
      if (child?.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
    },
  };
}

/** The last lines of a stream, bounded. */
class LastLines {
  private lines: string[] = [''];
  constructor(private readonly max: number) {}

  push(chunk: string): void {
    const parts = chunk.split('\n');
    this.lines[this.lines.length - 1] += parts[0];
    for (let i = 1; i < parts.length; i++) this.lines.push(parts[i]);
    if (this.lines.length > this.max + 1) this.lines = this.lines.slice(-(this.max + 1));
    const lastIndex = this.lines.length - 1;
    if (this.lines[lastIndex].length > 4096) this.lines[lastIndex] = this.lines[lastIndex].slice(-4096);
  }

  text(): string {
    return this.lines.join('\n').trimEnd().split('\n').slice(-this.max).join('\n');
  }
}
