/**
 * `baton run` of a file that is code: a TypeScript/JavaScript workflow (flow.ts) or a
 * script in any language (deploy.sh) whose `baton step`s are durable. Loaded here, driven
 * by the same run session as a workflow file (engine/steps/).
 */
import type { DriveOptions } from '../engine/runner.js';
import { projectSkillResolver } from '../skills/resolver.js';
import { loadCode } from '../sdk/load-code.js';
import { driveNewRun, type NewRunFlags, type Placement } from './new-run.js';

/** The program of a code run's snapshot, for every command that drives one (DriveOptions.programs). */
export const programs: NonNullable<DriveOptions['programs']> = async (code, state) => {
  const { programFor } = await import('../sdk/programs.js');
  return programFor(code, state);
};

/**
 * What every command that drives runs gives the engine besides the store: how to run code
 * (`programs`, `loadCode` for a child run whose file is code) and the project's skills
 * (`uses:`, `ctx.skill`, `baton skill run` inside a run), read only when a run needs them.
 */
export function driveExtras(): Pick<DriveOptions, 'programs' | 'loadCode' | 'skills'> {
  return { programs, loadCode, skills: projectSkillResolver() };
}

export async function runCode(file: string, kind: 'js' | 'script', flags: NewRunFlags, placement?: Placement): Promise<number> {
  const { workflow, code } = await loadCode(file, kind);
  return driveNewRun(file, flags, { workflow, code, source: { file: code.file, sha256: code.sha256 } }, placement);
}
