/**
 * script: a JavaScript, TypeScript or Python file, given by path (`script`) or inline
 * (`code`, written to the scratch folder first). Inputs arrive as JSON both in the file
 * named by $BATON_INPUTS and on stdin. Outputs as for shell ($BATON_OUTPUT), or else the
 * last line of stdout when it is a JSON object.
 */
import { stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ScriptTask } from '../spec/model.js';
import { ExecutorError } from './errors.js';
import { resolveCwd, runProcessTask, scratchFile, type ProcessOptions } from './process-task.js';
import type { Executor, TaskIO } from './types.js';

export interface ScriptOptions extends ProcessOptions {
  /** Python interpreter; default `python3` (looked up on PATH). */
  python?: string;
}

/** Inline code is ESM for TypeScript (.mts, so top-level await works); .js lets Node detect either. */
const INLINE_EXTENSION: Record<ScriptTask['language'], string> = {
  javascript: '.js',
  typescript: '.mts',
  python: '.py',
};

export function createScriptExecutor(options: ScriptOptions = {}): Executor<ScriptTask> {
  return {
    async run(task, io, signal) {
      const file = task.code !== undefined ? await writeInline(task, io) : await scriptPath(task, io);
      const inputs = JSON.stringify(task.inputs ?? {});
      const inputsFile = scratchFile(io, 'inputs', '.json');
      await writeFile(inputsFile, inputs);
      const [program, ...interpreterArgs] = interpreter(task.language, options);
      return runProcessTask(
        {
          program,
          args: [...interpreterArgs, file, ...(task.args ?? [])],
          cwd: resolveCwd(task.cwd, io),
          stdin: inputs,
          env: { BATON_INPUTS: inputsFile },
          what: 'script',
          stdoutJson: true,
        },
        io,
        signal,
        options,
      );
    },
  };
}

export const script = createScriptExecutor();

/** The program and its first arguments that run a script in `language`. */
export function interpreter(language: ScriptTask['language'], options: ScriptOptions): string[] {
  switch (language) {
    case 'javascript':
      return [process.execPath];
    case 'typescript':
      // tsx's loader in the same Node: one process, unlike the tsx CLI, which starts another.
      return [process.execPath, '--import', tsxLoader()];
    case 'python':
      return [options.python ?? 'python3'];
  }
}

let tsxUrl: string | undefined;

function tsxLoader(): string {
  if (tsxUrl === undefined) {
    try {
      tsxUrl = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    } catch (err) {
      throw new ExecutorError('EXEC_SPAWN', 'cannot run TypeScript: the tsx package is not installed next to baton; run `npm install tsx`', {
        retryable: false,
        cause: err,
      });
    }
  }
  return tsxUrl;
}

/** Inline source written to the scratch folder; its path. */
export async function writeInline(task: Pick<ScriptTask, 'language' | 'code'>, io: TaskIO): Promise<string> {
  const file = scratchFile(io, 'script', INLINE_EXTENSION[task.language]);
  await writeFile(file, task.code ?? '');
  return file;
}

/** The script file, resolved against the workflow file's folder; EXEC_SPAWN when it is not there. */
export async function scriptPath(task: Pick<ScriptTask, 'script'>, io: TaskIO): Promise<string> {
  if (task.script === undefined || task.script === '') {
    throw new ExecutorError('EXEC_SPAWN', 'script task has neither `script` (a file) nor `code` (inline source)', {
      retryable: false,
    });
  }
  const file = isAbsolute(task.script) ? task.script : resolve(io.baseDir, task.script);
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) {
    throw new ExecutorError(
      'EXEC_SPAWN',
      `script file not found: ${file} (relative paths resolve against the workflow's folder, ${io.baseDir})`,
      { retryable: false },
    );
  }
  return file;
}
