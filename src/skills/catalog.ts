/**
 * Where skills come from: folders of skill folders (each holding a SKILL.md), read in
 * order; a skill found earlier hides a later one of the same name, and says so. In order:
 * the project's `skills/` and `.agents/skills/` (the folder the Agent Skills standard
 * suggests) at its root, the folders listed under `skills:` in baton.config.yaml, and the
 * skills built into baton (`builtin-skills/` of its installation), so a project's skill
 * overrides a built-in one of the same name.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { installDir } from '../config/install-dir.js';
import type { Project } from '../config/project.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { ENTRY_KEY, parseSkillFile, type Skill } from './skill-file.js';

export const SKILL_FILE = 'SKILL.md';

/** A folder of skill folders, and what it is, for messages. */
export interface SkillRoot {
  dir: string;
  origin: string;
}

/** The project's skill folders: `skills/` and `.agents/skills/` at its root. */
export function projectSkillRoots(projectRoot: string): SkillRoot[] {
  return [
    { dir: path.join(projectRoot, 'skills'), origin: 'the project' },
    { dir: path.join(projectRoot, '.agents', 'skills'), origin: 'the project (.agents)' },
  ];
}

export const BUILT_IN = 'built in';

/**
 * The skills that ship with baton: the operations skills of `builtin-skills/`, and
 * `skills/baton`, which teaches an agent baton itself; none in an incomplete copy.
 */
export function builtinSkillRoots(): SkillRoot[] {
  const dir = installDir();
  if (dir === undefined) return [];
  return [
    { dir: path.join(dir, 'builtin-skills'), origin: BUILT_IN },
    { dir: path.join(dir, 'skills'), origin: BUILT_IN },
  ];
}

/** Every folder of skills a project sees, in the order a name is looked up. */
export function skillRoots(project: Pick<Project, 'root' | 'config' | 'configFile'>): SkillRoot[] {
  const roots = projectSkillRoots(project.root);
  for (const dir of project.config.skills ?? []) roots.push({ dir, origin: `${path.basename(project.configFile ?? 'baton.config.yaml')} skills: ${dir}` });
  // baton's own repository: its skills/ is the project's, not seen twice.
  for (const builtin of builtinSkillRoots()) if (!roots.some((r) => r.dir === builtin.dir)) roots.push(builtin);
  return roots;
}

/**
 * The skills of a namespace of `baton serve` other than `default` (docs/access.md): its
 * folder's `skills/` and `.agents/skills/`, the folders its entry in `server.namespaces`
 * names, and baton's built-ins; not the project's, which are the default namespace's.
 */
export function namespaceSkillRoots(namespace: string, dir: string, folders: readonly string[] = []): SkillRoot[] {
  return [...projectSkillRoots(dir), ...folders.map((folder) => ({ dir: folder, origin: `namespace ${namespace} skills: ${folder}` })), ...builtinSkillRoots()];
}

/** One skill folder: its SKILL.md read and checked. */
export function loadSkillDir(dir: string): { skill?: Skill; diagnostics: Diagnostic[] } {
  const file = path.join(dir, SKILL_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no ${SKILL_FILE} in it` : (err as Error).message;
    return { diagnostics: [{ severity: 'error', code: 'SKILL_NOT_FOUND', message: `${dir} is not a skill: ${why}`, file, line: 1, col: 1 }] };
  }
  const parsed = parseSkillFile(file, text, path.basename(dir), dir);
  const entry = parsed.skill?.entry;
  if (entry !== undefined && !existsSync(path.join(dir, entry))) {
    parsed.diagnostics.push({ severity: 'error', code: 'SKILL_ENTRY', message: `the skill's entry ${entry} (metadata.${ENTRY_KEY}) is not in ${dir}`, file, line: 1, col: 1, hint: 'add the file, or fix the path (relative to the skill\'s folder)' });
    return { diagnostics: parsed.diagnostics };
  }
  return parsed;
}

export interface Catalog {
  skills: Skill[];
  /** Problems of the skill files read (a skill with errors is left out of `skills`). */
  diagnostics: Diagnostic[];
  /** Skills hidden by an earlier one of the same name: `dir` (from `origin`) is hidden by `by` (from `byOrigin`). */
  hidden: Array<{ name: string; dir: string; origin: string; by: string; byOrigin: string }>;
}

/** Every skill under `roots`, in order; folders without a SKILL.md are not skills and are skipped. */
export function loadCatalog(roots: readonly SkillRoot[]): Catalog {
  const catalog: Catalog = { skills: [], diagnostics: [], hidden: [] };
  const byName = new Map<string, Skill>();
  for (const root of roots) {
    if (!existsSync(root.dir)) continue;
    for (const entry of readdirSync(root.dir).sort()) {
      const dir = path.join(root.dir, entry);
      if (!isDir(dir) || !existsSync(path.join(dir, SKILL_FILE))) continue;
      const { skill, diagnostics } = loadSkillDir(dir);
      catalog.diagnostics.push(...diagnostics);
      if (!skill) continue;
      skill.origin = root.origin;
      const earlier = byName.get(skill.name);
      if (earlier) {
        catalog.hidden.push({ name: skill.name, dir, origin: root.origin, by: earlier.dir, byOrigin: earlier.origin ?? '' });
        continue;
      }
      byName.set(skill.name, skill);
      catalog.skills.push(skill);
    }
  }
  return catalog;
}

/**
 * What `baton skills validate <dir>` checks: `dir` itself when it holds a SKILL.md, else
 * every skill folder in it.
 */
export function validateSkills(dir: string): { checked: string[]; diagnostics: Diagnostic[] } {
  if (existsSync(path.join(dir, SKILL_FILE))) return { checked: [dir], diagnostics: loadSkillDir(dir).diagnostics };
  if (!isDir(dir)) return { checked: [], diagnostics: [{ severity: 'error', code: 'SKILL_NOT_FOUND', message: `${dir}: no such folder`, file: dir, line: 1, col: 1 }] };
  const checked: string[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const sub = path.join(dir, entry);
    if (!isDir(sub) || !existsSync(path.join(sub, SKILL_FILE))) continue;
    checked.push(sub);
    diagnostics.push(...loadSkillDir(sub).diagnostics);
  }
  return { checked, diagnostics };
}

function isDir(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
