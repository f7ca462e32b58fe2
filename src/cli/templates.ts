/**
 * baton's built-in workflow templates: the files in the package's `templates/` folder,
 * one workflow per file, each a real workflow that validates and runs as written.
 * `baton create`, `baton generate` and `baton init` write them into a project.
 *
 * A template's name is its file name without the extension (`deploy.yaml` -> deploy); its
 * kind is the extension (`.yaml` a workflow file, `.ts` a TypeScript workflow). Its first
 * line is a comment `# <name>: <what it does>` (`//` in TypeScript), which `--list` shows.
 * Rendering one sets the workflow's name (the top-level `name: <template>` line, or
 * `name: '<template>'` in the workflow() call) and the file name its comments use.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installDir } from '../config/install-dir.js';
import { BatonError } from '../observability/errors.js';
import { didYouMean } from '../spec/suggest.js';

export type TemplateKind = 'yaml' | 'typescript';

export interface Template {
  name: string;
  kind: TemplateKind;
  /** The template's own file name, which is also the file `generate` writes by default. */
  file: string;
  /** The first line's text after `<name>: `. */
  description: string;
  /** Absolute path of the template file. */
  path: string;
}

const EXTENSIONS: Record<string, TemplateKind> = { '.yaml': 'yaml', '.ts': 'typescript' };
/** What a file written from a template of each kind may be called. */
const WRITABLE_EXTENSIONS: Record<TemplateKind, readonly string[]> = { yaml: ['.yaml', '.yml'], typescript: ['.ts', '.mts'] };
/** A workflow name that is also a file name anywhere: letters, digits, `_`, `.`, `-`. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;

/** The package's templates/ folder. */
export function templatesDir(): string {
  const root = installDir();
  const dir = root === undefined ? undefined : path.join(root, 'templates');
  if (dir !== undefined && existsSync(dir)) return dir;
  throw new BatonError('TEMPLATE_MISSING', `cannot find baton's templates/ folder${root === undefined ? '' : ` in ${root}`}: this copy of baton is incomplete; reinstall it`);
}

/** Every built-in template, by name. */
export function listTemplates(dir = templatesDir()): Template[] {
  const out: Template[] = [];
  for (const file of readdirSync(dir)) {
    const kind = EXTENSIONS[path.extname(file)];
    if (kind === undefined) continue;
    const name = path.basename(file, path.extname(file));
    const full = path.join(dir, file);
    out.push({ name, kind, file, description: describe(readFileSync(full, 'utf8'), name), path: full });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The template called `name`, or TEMPLATE_NOT_FOUND listing them all with a did-you-mean. */
export function findTemplate(name: string, templates = listTemplates()): Template {
  const found = templates.find((t) => t.name === name);
  if (found) return found;
  const names = templates.map((t) => t.name);
  throw new BatonError('TEMPLATE_NOT_FOUND', `no template ${JSON.stringify(name)}${didYouMean(name, names)}: the templates are ${names.join(', ')} (see them with \`baton create --list\`)`, {
    details: { template: name, templates: names },
  });
}

/** `name` checked as a workflow name that can also name its file. */
export function checkWorkflowName(name: string): string {
  if (NAME.test(name)) return name;
  const suggestion = name.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 100);
  throw new BatonError(
    'TEMPLATE_NAME',
    `${JSON.stringify(name)} cannot name a workflow file: use letters, digits, '_', '.' and '-', starting with a letter, digit or '_', at most 100${suggestion && NAME.test(suggestion) ? ` (try ${suggestion})` : ''}`,
    { details: { name } },
  );
}

/** The file extension a template's output may have, or TEMPLATE_NAME saying which to use. */
export function checkExtension(template: Template, file: string): void {
  const ext = path.extname(file).toLowerCase();
  if (WRITABLE_EXTENSIONS[template.kind].includes(ext)) return;
  const wanted = WRITABLE_EXTENSIONS[template.kind];
  throw new BatonError(
    'TEMPLATE_NAME',
    `${file}: template ${template.name} is a ${template.kind === 'yaml' ? 'workflow file' : 'TypeScript workflow'}, so its file must end in ${wanted.join(' or ')}`,
    { details: { file, template: template.name } },
  );
}

/**
 * The template's text for a file called `file` (a base name), with the workflow named
 * `name` when given. Throws when the template lacks what it must have to be renamed: a bug
 * in the template, which the tests catch.
 */
export function renderTemplate(template: Template, options: { file: string; name?: string }): string {
  let text = readFileSync(template.path, 'utf8');
  const comment = template.kind === 'yaml' ? '#' : '//';
  // The file name the comments tell people to run.
  text = text
    .split('\n')
    .map((line) => (line.trimStart().startsWith(comment) ? line.split(template.file).join(options.file) : line))
    .join('\n');
  if (options.name === undefined || options.name === template.name) return text;
  const name = options.name;
  const pattern = template.kind === 'yaml' ? new RegExp(`^name: ${escape(template.name)}$`, 'm') : new RegExp(`\\bname: '${escape(template.name)}'`);
  if (!pattern.test(text)) throw new BatonError('TEMPLATE_BROKEN', `template ${template.path} does not name its workflow \`${template.name}\` where baton looks for it (${pattern})`);
  text = text.replace(pattern, template.kind === 'yaml' ? `name: ${yamlString(name)}` : `name: '${name}'`);
  return text.replace(new RegExp(`^${escape(comment)} ${escape(template.name)}:`), `${comment} ${name}:`);
}

export interface WriteResult {
  file: string;
  /** `wrote` a new file, `overwrote` one that was there (force). */
  action: 'wrote' | 'overwrote';
}

/**
 * Writes `text` to `file`, creating its folder. An existing file is left alone unless
 * `force`: TEMPLATE_EXISTS saying to add --force.
 */
export function writeNewFile(file: string, text: string, force: boolean): WriteResult {
  const exists = () => new BatonError('TEMPLATE_EXISTS', `${file} already exists; nothing was written (add --force to overwrite it, or choose another name)`, { details: { file } });
  const existed = existsSync(file);
  if (existed && !force) throw exists();
  if (existed && statSync(file).isDirectory()) throw new BatonError('TEMPLATE_WRITE', `cannot write ${file}: it is a folder`, { details: { file } });
  const cannot = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a part of its path is a file, not a folder' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    return new BatonError('TEMPLATE_WRITE', `cannot write ${file}: ${why}`, { cause: error, details: { file } });
  };
  try {
    mkdirSync(path.dirname(file), { recursive: true });
  } catch (error) {
    throw cannot(error);
  }
  try {
    // 'wx' fails if the file appeared since the check: never overwrite by accident.
    writeFileSync(file, text, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'EEXIST' ? exists() : cannot(error);
  }
  return { file, action: existed ? 'overwrote' : 'wrote' };
}

/** A path as one shell word, quoted only when it needs to be. */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function describe(text: string, name: string): string {
  const first = text.split('\n', 1)[0];
  const match = /^(?:#|\/\/) ([^:]+): (.+)$/.exec(first);
  if (!match || match[1] !== name) return '';
  return match[2].trim();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A name YAML would read as something other than that string (`true`, `1.0`, `null`) is quoted. */
function yamlString(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(name) ? name : JSON.stringify(name);
}
