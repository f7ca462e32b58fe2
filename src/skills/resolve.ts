/**
 * From a skill's name to what runs: the one lookup every caller uses (`uses:` in a
 * workflow, `ctx.skill` in code, `baton skill run`, MCP), with the same errors.
 */
import path from 'node:path';
import { BatonError } from '../observability/errors.js';
import { fileKind } from '../spec/file-kind.js';
import { didYouMean } from '../spec/suggest.js';
import type { Catalog } from './catalog.js';
import { ENTRY_KEY, type Skill } from './skill-file.js';

/** A skill that can run: its entry's absolute path and what kind of file it is. */
export interface RunnableSkill {
  skill: Skill;
  entry: string;
  kind: EntryKind;
}

/** A workflow file (YAML/JSON), a TypeScript/JavaScript workflow, or a script in any language. */
export type EntryKind = 'workflow' | 'js' | 'script';

/** The skill named `name`; SKILL_NOT_FOUND says why not (its SKILL.md has problems, or a near name). */
export function findSkill(catalog: Catalog, name: string): Skill {
  const skill = catalog.skills.find((s) => s.name === name);
  if (skill) return skill;
  const broken = catalog.diagnostics.find((d) => d.severity === 'error' && path.basename(path.dirname(d.file)) === name);
  const why = broken
    ? `: its SKILL.md has problems (${broken.code}: ${broken.message}); see baton skills validate`
    : `${didYouMean(name, catalog.skills.map((s) => s.name))}; see the skills with baton skills list, or find one with baton skills search`;
  throw new BatonError('SKILL_NOT_FOUND', `no skill ${name}${why}`, { details: { skill: name } });
}

/** The skill named `name`, with the entry it runs; SKILL_NOT_RUNNABLE when it has none. */
export function runnableSkill(catalog: Catalog, name: string): RunnableSkill {
  const skill = findSkill(catalog, name);
  if (skill.entry === undefined) {
    throw new BatonError(
      'SKILL_NOT_RUNNABLE',
      `skill ${name} has no entry to run: it is instructions for an agent to read (baton skills show ${name}); to make it runnable, set metadata.${ENTRY_KEY} to a workflow or a script in its folder`,
      { details: { skill: name } },
    );
  }
  const entry = path.join(skill.dir, skill.entry);
  return { skill, entry, kind: fileKind(entry) };
}

/**
 * The environment a skill's run adds for its processes: BATON_SKILL_DIR (its folder), and
 * for a script entry each input as INPUT_<NAME> (the GitHub Actions convention: upper
 * case, other characters as `_`), JSON for what is not a string.
 */
export function skillEnvironment(runnable: RunnableSkill, inputs: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = { BATON_SKILL_DIR: runnable.skill.dir };
  if (runnable.kind !== 'script') return env;
  for (const [key, value] of Object.entries(inputs)) env[inputVariable(key)] = typeof value === 'string' ? value : JSON.stringify(value);
  return env;
}

export function inputVariable(name: string): string {
  return `INPUT_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}
