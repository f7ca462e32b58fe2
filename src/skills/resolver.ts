/**
 * What a run needs of the skill catalog: the skill behind a name, and for the workflow
 * loader what each skill is and declares. The catalog is read once, when first needed,
 * so a run that uses no skill never reads a skill folder.
 */
import { readFileSync } from 'node:fs';
import { parseWorkflow } from '../spec/load.js';
import type { SkillInfo, SkillLookup } from '../spec/normalize-skill.js';
import { loadProject } from '../config/project.js';
import { loadCatalog, skillRoots, type Catalog } from './catalog.js';
import { runnableSkill, type RunnableSkill } from './resolve.js';

export interface SkillResolver {
  /** The skill named `name` and its entry; throws SKILL_NOT_FOUND or SKILL_NOT_RUNNABLE. */
  resolve(name: string): RunnableSkill;
  /** For LoadOptions.skills: `uses:` checked when a workflow file is loaded. */
  lookup(): SkillLookup;
}

export function createSkillResolver(load: () => Catalog): SkillResolver {
  let catalog: Catalog | undefined;
  const get = () => (catalog ??= load());
  const infos = new Map<string, SkillInfo | undefined>();
  const lookup: SkillLookup = {
    find(name) {
      if (!infos.has(name)) infos.set(name, describe(get(), name));
      return infos.get(name);
    },
    names: () => get().skills.map((s) => s.name),
  };
  return { resolve: (name) => runnableSkill(get(), name), lookup: () => lookup };
}

/** What the loader checks of a skill: it exists, it runs, and (for a workflow file entry) its inputs. */
function describe(catalog: Catalog, name: string): SkillInfo | undefined {
  const skill = catalog.skills.find((s) => s.name === name);
  if (skill === undefined) return undefined;
  if (skill.entry === undefined) return { runnable: false };
  const runnable = runnableSkill(catalog, name);
  return { runnable: true, ...declaredInputs(runnable) };
}

/** A workflow file entry's declared inputs; other entries are checked when they run. */
export function declaredInputs(runnable: RunnableSkill): Pick<SkillInfo, 'inputs'> {
  if (runnable.kind !== 'workflow') return {};
  try {
    const loaded = parseWorkflow(readFileSync(runnable.entry, 'utf8'), runnable.entry);
    return loaded.workflow ? { inputs: loaded.workflow.inputs } : {};
  } catch {
    return {}; // unreadable: the run says why when it starts
  }
}

/** The skills of the project baton runs in (skillRoots), read when first needed. */
export function projectSkillResolver(): SkillResolver {
  return createSkillResolver(() => loadCatalog(skillRoots(loadProject())));
}
