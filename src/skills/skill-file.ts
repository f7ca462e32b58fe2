/**
 * A skill in the open Agent Skills format (agentskills.io): a folder named after the skill
 * holding SKILL.md, whose YAML front matter says what the skill is. This module reads one
 * SKILL.md and checks it against the standard's rules; it reads nothing but the text it is
 * given (like spec/, no I/O).
 *
 * The seeds' own fields (`tags`, `intent`, `script_first`, `version`, `languages`) are read
 * too and mapped onto the standard (`intent` becomes the description when there is none,
 * the rest go under `metadata`), each with a warning that says how to make the file
 * portable, since other readers of the format reject fields it does not define.
 */
import { isMap, isScalar, LineCounter, parseDocument, type Node, type Pair } from 'yaml';
import type { Diagnostic } from '../spec/diagnostics.js';

export interface Skill {
  name: string;
  description: string;
  license?: string;
  compatibility?: string;
  /** The standard's string-to-string map, with the seeds' fields mapped into it. */
  metadata: Record<string, string>;
  /** `allowed-tools`: tools the skill may use without asking (the standard's experimental field). */
  allowedTools?: string[];
  /** Tags, from `metadata.tags` (comma-separated) or the seeds' `tags` list. */
  tags: string[];
  /** The Markdown after the front matter: the instructions an agent reads. */
  body: string;
  /**
   * What runs the skill (`metadata.baton.entry`, relative to its folder): a workflow file,
   * a TypeScript workflow or a script. None: a skill an agent reads, not one baton runs.
   */
  entry?: string;
  /** The skill's folder and its SKILL.md. */
  dir: string;
  file: string;
  /** Where it comes from, for messages: `the project`, a folder of baton.config.yaml, `built in`. */
  origin?: string;
}

/** The metadata key naming a skill's runnable entry (docs/decisions/0009-skill-entry.md). */
export const ENTRY_KEY = 'baton.entry';

/** Name rule of the standard: 1-64 lowercase letters, digits and single hyphens inside. */
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const STANDARD_FIELDS = new Set(['name', 'description', 'license', 'compatibility', 'metadata', 'allowed-tools']);
/** The seeds' fields, read and mapped (see the module comment). */
const SEED_FIELDS = new Set(['tags', 'intent', 'script_first', 'version', 'languages']);

/**
 * Reads a SKILL.md. `folder` is the name of the folder holding it, which the skill's name
 * must equal. Returns the skill when it has no errors, and every problem found.
 */
export function parseSkillFile(file: string, text: string, folder: string, dir: string): { skill?: Skill; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const at = (severity: Diagnostic['severity'], code: string, message: string, line = 1, col = 1, hint?: string) =>
    diagnostics.push({ severity, code, message, file, line, col, ...(hint === undefined ? {} : { hint }) });
  const front = splitFrontMatter(text);
  if (front === undefined) {
    at('error', 'SKILL_NO_FRONT_MATTER', 'SKILL.md must start with YAML front matter between two `---` lines', 1, 1, 'begin the file with ---, then `name:` and `description:`, then ---');
    return { diagnostics };
  }
  const counter = new LineCounter();
  const doc = parseDocument(front.yaml, { lineCounter: counter, prettyErrors: false });
  const place = (node: Node | Pair['key'] | null | undefined): [number, number] => {
    const offset = (node as Node | undefined)?.range?.[0];
    if (offset === undefined) return [front.line, 1];
    const pos = counter.linePos(offset);
    return [front.line + pos.line - 1, pos.col];
  };
  if (doc.errors.length > 0) {
    for (const error of doc.errors.slice(0, 5)) {
      const pos = counter.linePos(error.pos[0]);
      at('error', 'SKILL_YAML', `the front matter is not valid YAML: ${error.message.split('\n')[0]}`, front.line + pos.line - 1, pos.col);
    }
    return { diagnostics };
  }
  if (!isMap(doc.contents)) {
    at('error', 'SKILL_NO_FRONT_MATTER', 'the front matter must be a mapping of fields (`name: ...`, `description: ...`)', front.line);
    return { diagnostics };
  }
  const fields = new Map<string, { value: unknown; key: [number, number]; node: [number, number] }>();
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    fields.set(key, { value: (pair.value as Node | null)?.toJSON?.() ?? (isScalar(pair.value) ? pair.value.value : null), key: place(pair.key), node: place(pair.value as Node) });
  }
  const text_ = (key: string): string | undefined => {
    const field = fields.get(key);
    if (field === undefined) return undefined;
    if (typeof field.value === 'string') return field.value;
    at('error', 'SKILL_FIELD_TYPE', `\`${key}\` must be a string`, ...field.node);
    return undefined;
  };

  const metadata: Record<string, string> = {};
  const meta = fields.get('metadata');
  if (meta !== undefined) {
    if (meta.value === null || typeof meta.value !== 'object' || Array.isArray(meta.value)) {
      at('error', 'SKILL_FIELD_TYPE', '`metadata` must be a mapping of strings to strings', ...meta.node);
    } else {
      for (const [key, value] of Object.entries(meta.value as Record<string, unknown>)) {
        if (typeof value === 'string') metadata[key] = value;
        else at('error', 'SKILL_FIELD_TYPE', `metadata.${key} must be a string (quote it: ${key}: "${String(value)}")`, ...meta.node);
      }
    }
  }

  let description = text_('description');
  for (const [key, field] of fields) {
    if (STANDARD_FIELDS.has(key)) continue;
    if (SEED_FIELDS.has(key)) {
      const value = Array.isArray(field.value) ? field.value.map(String).join(', ') : String(field.value);
      if (key === 'intent' && description === undefined) {
        description = value;
        at('warning', 'SKILL_NOT_PORTABLE', '`intent` is read as the description, which the standard calls `description`', ...field.key, 'rename `intent:` to `description:`');
      } else {
        metadata[key] ??= value;
        at('warning', 'SKILL_NOT_PORTABLE', `\`${key}\` is not a field of the standard; baton reads it as metadata.${key}`, ...field.key, `move it under metadata: (metadata:\n    ${key}: "${value}")`);
      }
      continue;
    }
    at('error', 'SKILL_UNKNOWN_FIELD', `\`${key}\` is not a field of SKILL.md: the standard has name, description, license, compatibility, metadata and allowed-tools`, ...field.key, 'put your own fields under metadata:');
  }

  const nameField = fields.get('name');
  const name = text_('name');
  if (nameField === undefined) at('error', 'SKILL_NAME', 'the front matter has no `name`', front.line, 1, `add name: ${suggestName(folder)}`);
  else if (name !== undefined) {
    if (name.length < 1 || name.length > 64 || !NAME.test(name)) {
      at('error', 'SKILL_NAME', `name ${JSON.stringify(name)} is not a skill name: 1 to 64 lowercase letters, digits and single hyphens, not at the start or end`, ...nameField.node, `name: ${suggestName(name)}`);
    } else if (name !== folder) {
      at('error', 'SKILL_NAME_FOLDER', `name ${name} is not the name of its folder (${folder}): the standard names a skill by its folder`, ...nameField.node, `rename the folder to ${name}, or the skill to ${folder}`);
    }
  }
  if (description === undefined) {
    if (!fields.has('description')) at('error', 'SKILL_DESCRIPTION', 'the front matter has no `description`: say what the skill does and when to use it', front.line);
  } else if (description.trim().length < 1 || description.length > 1024) {
    at('error', 'SKILL_DESCRIPTION', `the description must be 1 to 1024 characters (it has ${description.length})`, ...(fields.get('description') ?? fields.get('intent'))!.node);
  }
  const compatibility = text_('compatibility');
  if (compatibility !== undefined && compatibility.length > 500) at('error', 'SKILL_FIELD_TYPE', `compatibility must be at most 500 characters (it has ${compatibility.length})`, ...fields.get('compatibility')!.node);
  const license = text_('license');
  const tools = text_('allowed-tools');

  const entry = metadata[ENTRY_KEY];
  if (entry !== undefined && (entry.trim() === '' || entry.startsWith('/') || entry.split(/[\\/]/).includes('..'))) {
    at('error', 'SKILL_ENTRY', `metadata.${ENTRY_KEY} must be a path inside the skill's folder (got ${JSON.stringify(entry)})`, ...meta!.node, `e.g. ${ENTRY_KEY}: workflow.yaml, or scripts/run.sh`);
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  const tags = (metadata.tags ?? '').split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  const skill: Skill = { name: name!, description: description!, metadata, tags, body: front.body, dir, file };
  if (license !== undefined) skill.license = license;
  if (compatibility !== undefined) skill.compatibility = compatibility;
  if (tools !== undefined) skill.allowedTools = tools.split(/\s+/).filter((tool) => tool !== '');
  if (entry !== undefined) skill.entry = entry;
  return { skill, diagnostics };
}

/** The front matter's YAML (and the line it starts on) and the body after it. */
function splitFrontMatter(text: string): { yaml: string; line: number; body: string } | undefined {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return undefined;
  const end = lines.indexOf('---', 1);
  const close = end === -1 ? lines.findIndex((line, i) => i > 0 && line.trim() === '---') : end;
  if (close === -1) return undefined;
  return { yaml: lines.slice(1, close).join('\n'), line: 2, body: lines.slice(close + 1).join('\n').trim() };
}

/** A valid name made from `text`: `Workflow Orchestrator` -> `workflow-orchestrator`. */
export function suggestName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return name === '' ? 'my-skill' : name;
}
