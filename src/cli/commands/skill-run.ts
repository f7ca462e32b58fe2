import path from 'node:path';
import { loadProject } from '../../config/project.js';
import { BatonError } from '../../observability/errors.js';
import { loadCatalog, projectSkillRoots } from '../../skills/catalog.js';
import { ENTRY_KEY } from '../../skills/skill-file.js';
import { didYouMean } from '../../spec/suggest.js';
import { parsePairs } from '../args.js';
import { codeKind } from '../file-kind.js';
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
export default async function skillRun(name: string, flags: SkillRunFlags): Promise<number> {
  const catalog = loadCatalog(projectSkillRoots(loadProject().root));
  const skill = catalog.skills.find((s) => s.name === name);
  if (!skill) {
    const broken = catalog.diagnostics.find((d) => path.basename(path.dirname(d.file)) === name);
    const why = broken ? `: its SKILL.md has problems (${broken.code}: ${broken.message}); see baton skills validate` : didYouMean(name, catalog.skills.map((s) => s.name));
    throw new BatonError('SKILL_NOT_FOUND', `no skill ${name} in this project${why}`, { details: { skill: name } });
  }
  if (skill.entry === undefined) {
    throw new BatonError('SKILL_NOT_RUNNABLE', `skill ${name} has no entry to run: it is instructions for an agent to read (baton skills show ${name}); to make it runnable, set metadata.${ENTRY_KEY} to a workflow or a script in its folder`, {
      details: { skill: name },
    });
  }
  const entry = path.join(skill.dir, skill.entry);
  const given = parsePairs(flags.with, '--with');
  const env = [...(flags.env ?? []), `BATON_SKILL_DIR=${skill.dir}`];
  const script = codeKind(entry) === 'script';
  const inputs = Object.entries(given).map(([key, value]) => `${key}=${value}`);
  if (script) env.push(...Object.entries(given).map(([key, value]) => `INPUT_${key.toUpperCase().replace(/[^A-Z0-9]/g, '_')}=${value}`));
  return runFile(entry, { ...flags, env, input: script ? flags.input : [...(flags.input ?? []), ...inputs] }, { baseDir: process.cwd() });
}
