import { BatonError } from '../../observability/errors.js';
import { parsePairs } from '../args.js';
import { SOCKET_ENV } from '../../sdk/step-protocol.js';
import { runnableSkill, skillEnvironment } from '../../skills/resolve.js';
import { projectCatalog } from './skills.js';
import { runFile, type RunFlags } from './run.js';

interface SkillRunFlags extends RunFlags {
  with?: string[];
}

/**
 * `baton skill run <name> [--with key=value]...`: runs a skill's entry (metadata
 * `baton.entry`) as a run, in the current folder. A workflow entry (YAML or TypeScript)
 * gets `--with` as its inputs, checked against the types it declares; a script gets them
 * as INPUT_<NAME> environment variables. Every entry gets BATON_SKILL_DIR, the skill's folder.
 */
export default async function skillRun(nameArg: string | undefined, flags: SkillRunFlags): Promise<number> {
  const { enterSandbox, sandboxFlag } = await import('../sandbox.js');
  const { mode, argument: name } = sandboxFlag(flags.sandbox, nameArg);
  if (name === undefined) throw new BatonError('CLI_USAGE', 'which skill? usage: baton skill run <name> [--with key=value]... (baton skills list shows them)');
  // Inside a script that baton runs: a durable step of that run (in its sandbox, if any), not a run of its own.
  if (process.env[SOCKET_ENV] && flags.sandbox === undefined) {
    const { skillStep } = await import('../skill-step.js');
    return skillStep(name, parsePairs(flags.with, '--with'));
  }
  const sandboxed = await enterSandbox(mode, flags);
  if (sandboxed !== undefined) return sandboxed;
  const runnable = runnableSkill(projectCatalog(), name);
  const given = parsePairs(flags.with, '--with');
  const env = [...(flags.env ?? []), ...Object.entries(skillEnvironment(runnable, given)).map(([key, value]) => `${key}=${value}`)];
  const inputs = runnable.kind === 'script' ? flags.input : [...(flags.input ?? []), ...Object.entries(given).map(([key, value]) => `${key}=${value}`)];
  return runFile(runnable.entry, { ...flags, env, ...(inputs ? { input: inputs } : {}) }, { baseDir: process.cwd() });
}
