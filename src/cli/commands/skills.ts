import path from 'node:path';
import { loadProject } from '../../config/project.js';
import { formatDiagnostic } from '../../spec/diagnostics.js';
import { loadCatalog, projectSkillRoots, validateSkills } from '../../skills/catalog.js';
import { EXIT } from '../exit.js';
import { truncate } from '../render/format.js';
import { visible } from '../render/visible.js';

/** `baton skills list`: the project's skills (skills/, .agents/skills/), with their descriptions. */
export async function list(flags: { json?: boolean }): Promise<number> {
  const project = loadProject();
  const catalog = loadCatalog(projectSkillRoots(project.root));
  if (flags.json) {
    const skills = catalog.skills.map((s) => ({ name: s.name, description: s.description, tags: s.tags, dir: s.dir, ...(s.license ? { license: s.license } : {}) }));
    process.stdout.write(JSON.stringify({ skills, hidden: catalog.hidden, problems: catalog.diagnostics }, null, 2) + '\n');
    return EXIT.ok;
  }
  for (const d of catalog.diagnostics.filter((d) => d.severity === 'error')) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
  for (const hidden of catalog.hidden) process.stderr.write(`baton: note: skill ${visible(hidden.name)} in ${visible(hidden.dir)} is hidden by the one in ${visible(hidden.by)}\n`);
  if (catalog.skills.length === 0) {
    process.stdout.write(`No skills in ${visible(path.join(project.root, 'skills'))} or ${visible(path.join(project.root, '.agents', 'skills'))}\n`);
    return EXIT.ok;
  }
  const width = Math.min(40, Math.max(...catalog.skills.map((s) => s.name.length)));
  for (const skill of catalog.skills) {
    process.stdout.write(`${visible(skill.name).padEnd(width)}  ${truncate(visible(skill.description.replace(/\s+/g, ' ')), 100)}\n`);
  }
  return EXIT.ok;
}

/** `baton skills validate [dir]`: a skill folder, or every skill in a folder (default: the project's). */
export async function validate(dir: string | undefined, flags: { json?: boolean }): Promise<number> {
  const dirs = dir !== undefined ? [path.resolve(dir)] : projectSkillRoots(loadProject().root).map((root) => root.dir);
  const checked: string[] = [];
  const diagnostics = [];
  for (const one of dirs) {
    const result = validateSkills(one);
    if (dir === undefined && result.checked.length === 0) continue;
    checked.push(...result.checked);
    diagnostics.push(...result.diagnostics);
  }
  const valid = !diagnostics.some((d) => d.severity === 'error');
  if (flags.json) {
    process.stdout.write(JSON.stringify({ valid, checked, diagnostics }, null, 2) + '\n');
  } else {
    for (const d of diagnostics) process.stdout.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    const warnings = diagnostics.length - errors;
    const what = `${checked.length} skill${checked.length === 1 ? '' : 's'}`;
    process.stdout.write(valid ? `${what}: valid${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}\n` : `${what}: ${errors} error${errors === 1 ? '' : 's'}\n`);
  }
  return valid ? EXIT.ok : EXIT.failed;
}
