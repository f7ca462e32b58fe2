/**
 * What a run needs of the skill catalog: the skill behind a name, and for the workflow
 * loader what each skill is and declares. The catalog is read once, when first needed,
 * so a run that uses no skill never reads a skill folder.
 */
import { readFileSync } from 'node:fs';
import { parseWorkflow } from '../spec/load.js';
import type { SkillInfo, SkillLookup } from '../spec/normalize-skill.js';
import type { InputSpec, Workflow } from '../spec/model.js';
import { loadProject } from '../config/project.js';
import { loadCatalog, skillRoots, type Catalog, type SkillRoot } from './catalog.js';
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
  const workflow = runnable.kind === 'workflow' ? entryWorkflow(runnable.entry) : undefined;
  return workflow ? { inputs: workflow.inputs } : {};
}

function entryWorkflow(file: string): Workflow | undefined {
  try {
    return parseWorkflow(readFileSync(file, 'utf8'), file).workflow;
  } catch {
    return undefined; // unreadable: the run says why when it starts
  }
}

/** What a caller needs to know to run a skill: its entry, the inputs it takes, what it gives back. */
export interface SkillInterface {
  entry: string;
  kind: RunnableSkill['kind'];
  /** Declared by the entry (a workflow's `inputs:`, a TypeScript workflow's); undefined for a script. */
  inputs?: Record<string, InputSpec>;
  /** The names of a workflow entry's `outputs:`. */
  outputs?: string[];
  /** How a script entry gets its inputs, or why they could not be read. */
  note?: string;
}

/**
 * A runnable skill's interface. A TypeScript entry is loaded (bundled, its top level run)
 * by `loadCode`, given by the front end; without it, or when it fails, the note says so.
 */
export async function skillInterface(runnable: RunnableSkill, loadCode?: (file: string) => Promise<{ inputs: Record<string, InputSpec> }>): Promise<SkillInterface> {
  const out: SkillInterface = { entry: runnable.entry, kind: runnable.kind };
  if (runnable.kind === 'script') return { ...out, note: 'a script: its inputs are whatever it reads from INPUT_<NAME> environment variables (--with name=value); see its instructions' };
  if (runnable.kind === 'js') {
    if (!loadCode) return { ...out, note: 'a TypeScript workflow: its inputs are declared in its workflow() call' };
    try {
      return { ...out, inputs: (await loadCode(runnable.entry)).inputs, note: 'gives back what its workflow function returns' };
    } catch (err) {
      return { ...out, note: `its entry could not be loaded: ${(err as Error).message}` };
    }
  }
  const workflow = entryWorkflow(runnable.entry);
  if (!workflow) return { ...out, note: `its entry is not a valid workflow: baton validate ${runnable.entry}` };
  return { ...out, inputs: workflow.inputs, outputs: Object.keys(workflow.outputs ?? {}) };
}

/** The skills of the project baton runs in (skillRoots), or of these roots, read when first needed. */
export function projectSkillResolver(roots?: () => SkillRoot[]): SkillResolver {
  return createSkillResolver(() => loadCatalog(roots ? roots() : skillRoots(loadProject())));
}
