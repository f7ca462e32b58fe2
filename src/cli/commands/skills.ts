import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadProject } from '../../config/project.js';
import { formatDiagnostic } from '../../spec/diagnostics.js';
import { BUILT_IN, loadCatalog, skillRoots, validateSkills, type Catalog } from '../../skills/catalog.js';
import { findSkill, runnableSkill } from '../../skills/resolve.js';
import { skillInterface, type SkillInterface } from '../../skills/resolver.js';
import { loadCode } from '../../sdk/load-code.js';
import { BatonError } from '../../observability/errors.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { truncate } from '../render/format.js';
import { visible } from '../render/visible.js';

/** The skills this project sees: its own, those of baton.config.yaml's `skills:`, and baton's built-in ones. */
export function projectCatalog(): Catalog {
  return loadCatalog(skillRoots(loadProject()));
}

/** `baton skills list`: every skill the project sees, with its description; built-in ones marked. */
export async function list(flags: { json?: boolean }): Promise<number> {
  const project = loadProject();
  const catalog = loadCatalog(skillRoots(project));
  if (flags.json) {
    const skills = catalog.skills.map((s) => ({ name: s.name, description: s.description, tags: s.tags, dir: s.dir, origin: s.origin, runnable: s.entry !== undefined, ...(s.license ? { license: s.license } : {}) }));
    process.stdout.write(JSON.stringify({ skills, hidden: catalog.hidden, problems: catalog.diagnostics }, null, 2) + '\n');
    return EXIT.ok;
  }
  for (const d of catalog.diagnostics.filter((d) => d.severity === 'error')) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
  for (const hidden of catalog.hidden) process.stderr.write(hiddenNote(hidden) + '\n');
  if (catalog.skills.length === 0) {
    process.stdout.write(`No skills in ${visible(path.join(project.root, 'skills'))} or ${visible(path.join(project.root, '.agents', 'skills'))}\n`);
    return EXIT.ok;
  }
  const width = Math.min(40, Math.max(...catalog.skills.map((s) => s.name.length)));
  for (const skill of catalog.skills) {
    const mark = skill.origin === BUILT_IN ? ' (built in)' : '';
    process.stdout.write(`${visible(skill.name).padEnd(width)}  ${truncate(visible(skill.description.replace(/\s+/g, ' ')), 100)}${mark}\n`);
  }
  return EXIT.ok;
}

/** A project's skill that overrides a built-in one (or any earlier one hiding a later) says so. */
export function hiddenNote(hidden: Catalog['hidden'][number]): string {
  const what = hidden.origin === BUILT_IN ? 'the built-in one' : `the one in ${visible(hidden.dir)} (${visible(hidden.origin)})`;
  return `baton: note: skill ${visible(hidden.name)} from ${visible(hidden.byOrigin)} (${visible(hidden.by)}) overrides ${what}`;
}

/** `baton skills validate [dir]`: a skill folder, or every skill in a folder (default: the project's). */
export async function validate(dir: string | undefined, flags: { json?: boolean }): Promise<number> {
  const dirs = dir !== undefined ? [path.resolve(dir)] : skillRoots(loadProject()).filter((root) => root.origin !== BUILT_IN).map((root) => root.dir);
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

/** `baton skills search <words...>`: the project's skills ranked for a task. */
export async function search(words: string[], flags: { json?: boolean; limit?: string }): Promise<number> {
  const { searchSkills } = await import('../../skills/search.js');
  const limit = parsePositiveInt(flags.limit, '--limit') ?? 10;
  const catalog = projectCatalog();
  const hits = searchSkills(catalog.skills, words.join(' '), limit);
  if (flags.json) {
    const out = hits.map((h) => ({ name: h.skill.name, description: h.skill.description, score: Math.round(h.score * 100) / 100, dir: h.skill.dir, matched: h.matched }));
    process.stdout.write(JSON.stringify({ query: words.join(' '), skills: out }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (hits.length === 0) {
    process.stdout.write(`No skill matches "${visible(words.join(' '))}" (${catalog.skills.length} skill${catalog.skills.length === 1 ? '' : 's'} searched; see them with baton skills list)\n`);
    return EXIT.ok;
  }
  const width = Math.min(40, Math.max(...hits.map((h) => h.skill.name.length)));
  for (const hit of hits) process.stdout.write(`${visible(hit.skill.name).padEnd(width)}  ${truncate(visible(hit.skill.description.replace(/\s+/g, ' ')), 100)}\n`);
  return EXIT.ok;
}

/** `baton skills show <name>`: a skill's fields, its files and its instructions. */
export async function show(name: string, flags: { json?: boolean }): Promise<number> {
  const catalog = projectCatalog();
  const skill = findSkill(catalog, name);
  const files = skillFiles(skill.dir);
  const runs = skill.entry === undefined ? undefined : await skillInterface(runnableSkill(catalog, name), async (file) => (await loadCode(file, 'js')).workflow);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ...skill, files, ...(runs ? { interface: runs } : {}) }, null, 2) + '\n');
    return EXIT.ok;
  }
  const lines = [`${visible(skill.name)}  ${visible(skill.file)}`, '', ...visible(skill.description, { lines: true }).split('\n').map((l) => `  ${l}`), ''];
  if (skill.license) lines.push(`license        ${visible(skill.license)}`);
  if (skill.compatibility) lines.push(`compatibility  ${visible(skill.compatibility)}`);
  if (skill.allowedTools) lines.push(`allowed-tools  ${visible(skill.allowedTools.join(' '))}`);
  for (const [key, value] of Object.entries(skill.metadata)) lines.push(`${visible(`metadata.${key}`).padEnd(14)} ${visible(value)}`);
  if (files.length > 0) lines.push(`files          ${files.map((f) => visible(f)).join(', ')}`);
  if (skill.origin) lines.push(`from           ${visible(skill.origin)}`);
  lines.push(...interfaceLines(name, runs));
  if (skill.body !== '') lines.push('', visible(skill.body, { lines: true }));
  process.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}

/** How to run a skill, and with what: its entry, its inputs (type, default, required), its outputs. */
function interfaceLines(name: string, runs: SkillInterface | undefined): string[] {
  if (runs === undefined) return ['', 'Not runnable: instructions for an agent to read (no metadata baton.entry).'];
  const lines = ['', `Run it: baton skill run ${name} --with name=value ...   (in a workflow: uses: ${name})`];
  const inputs = Object.entries(runs.inputs ?? {});
  if (inputs.length > 0) {
    lines.push('inputs');
    const width = Math.min(30, Math.max(...inputs.map(([input]) => input.length)));
    for (const [input, spec] of inputs) {
      const given = spec.default !== undefined ? `default ${JSON.stringify(spec.default)}` : spec.required ? 'required' : 'optional';
      lines.push(`  ${visible(input).padEnd(width)}  ${spec.type}, ${given}${spec.description ? `: ${visible(spec.description)}` : ''}`);
    }
  } else if (runs.inputs) lines.push('inputs         none');
  if (runs.outputs && runs.outputs.length > 0) lines.push(`outputs        ${runs.outputs.map((o) => visible(o)).join(', ')}`);
  if (runs.note) lines.push(visible(runs.note));
  return lines;
}

/** `baton skills new <name>`: a skill folder in the project's skills/, with a SKILL.md that validates. */
export async function create(name: string, flags: { description?: string; json?: boolean }): Promise<number> {
  const { suggestName } = await import('../../skills/skill-file.js');
  if (suggestName(name) !== name) {
    throw new BatonError('SKILL_NAME', `${JSON.stringify(name)} is not a skill name: 1 to 64 lowercase letters, digits and single hyphens (try ${suggestName(name)})`, { details: { skill: name } });
  }
  const dir = path.join(loadProject().root, 'skills', name);
  if (existsSync(dir)) throw new BatonError('SKILL_EXISTS', `${dir} already exists: pick another name, or edit that skill`, { details: { skill: name } });
  const description = flags.description ?? `What ${name} does, and when to use it (an agent picks skills by this line).`;
  mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  writeFileSync(
    path.join(dir, 'SKILL.md'),
    `---\nname: ${name}\ndescription: ${JSON.stringify(description)}\nmetadata:\n  tags: ""\n---\n# ${name}\n\nThe instructions an agent follows: what the skill needs, the steps, what it reports.\nScripts it runs go in scripts/.\n`,
  );
  if (flags.json) process.stdout.write(JSON.stringify({ created: dir, file: path.join(dir, 'SKILL.md') }, null, 2) + '\n');
  else process.stdout.write(`Created ${path.join(dir, 'SKILL.md')}: write its description and instructions, then check it with baton skills validate ${path.relative(process.cwd(), dir) || '.'}\n`);
  return EXIT.ok;
}

/** The files a skill ships beside SKILL.md (scripts/, references/, assets/), relative to its folder. */
function skillFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['scripts', 'references', 'assets']) {
    const where = path.join(dir, sub);
    if (!existsSync(where)) continue;
    for (const entry of readdirSync(where).sort()) out.push(`${sub}/${entry}`);
  }
  return out;
}
