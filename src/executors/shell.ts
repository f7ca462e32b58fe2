/**
 * shell: `sh -c command` (or `<task.shell> -c command`) in its own process group.
 * Outputs come from the $BATON_OUTPUT file, plus the tail of stdout as `stdout`.
 */
import type { ShellTask } from '../spec/model.js';
import { resolveCwd, runProcessTask, type ProcessOptions } from './process-task.js';
import type { Executor } from './types.js';

export function createShellExecutor(options: ProcessOptions = {}): Executor<ShellTask> {
  return {
    run(task, io, signal) {
      // `shell: bash -eo pipefail` is a program and its flags, then -c.
      const [program, ...flags] = (task.shell ?? 'sh').trim().split(/\s+/);
      return runProcessTask(
        { program, args: [...flags, '-c', task.command], cwd: resolveCwd(task.cwd, io), what: 'command' },
        io,
        signal,
        options,
      );
    },
  };
}

export const shell = createShellExecutor();
