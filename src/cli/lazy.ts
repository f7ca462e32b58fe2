/**
 * How main.ts runs a command: its code imported when it runs (start-up time matters), after
 * baton.config.yaml's `limits:` are applied.
 */
import { loadProject } from '../config/project.js';
import { applyLimits } from '../config/settings.js';

type Loader = () => Promise<{ default: (...args: never[]) => Promise<number> | number }>;

export function lazy(load: Loader) {
  return async (...args: unknown[]) => {
    projectLimits();
    const command = await load();
    process.exitCode = await (command.default as (...a: unknown[]) => Promise<number> | number)(...args);
  };
}

/**
 * baton.config.yaml's `limits:` for every command (the summary's size, a step's result):
 * as environment defaults the engine reads. A config file with problems is reported by
 * the command that reads it, with file:line:col; not here.
 */
function projectLimits(): void {
  try {
    applyLimits(loadProject().config.limits);
  } catch {
    // the command's own loadProject says what is wrong
  }
}
