import path from 'node:path';
import { BatonError } from '../../observability/errors.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import { checkExtension, checkWorkflowName, findTemplate, listTemplates, renderTemplate, shellWord, writeNewFile, type Template, type WriteResult } from '../templates.js';

interface CreateFlags {
  /** `--template <t>`: required unless --list. */
  template?: string;
  /** `--list`: print the templates instead; default false. */
  list?: boolean;
  /** `--force`: overwrite an existing file; default false. */
  force?: boolean;
  /** `--json`: print what was written as JSON; default false. */
  json?: boolean;
}

interface GenerateFlags {
  /** `--type <t>`: required. */
  type: string;
  /** `-o, --output <file>`: default `<type>.yaml` (or `.ts`); `-` prints to stdout. */
  output?: string;
  /** `--force`: overwrite an existing file; default false. */
  force?: boolean;
  /** `--json`: print what was written as JSON; default false. */
  json?: boolean;
}

/**
 * `baton create <name> --template <t>`: a new workflow `<name>.yaml` (or `.ts`) from a
 * template, named `<name>`. `<name>` may hold a folder (`ops/deploy-web`) and may end
 * in the file's extension. `--list` prints the templates instead.
 */
export async function create(nameArg: string | undefined, flags: CreateFlags): Promise<number> {
  const templates = listTemplates();
  if (flags.list) return printList(templates, flags.json === true);
  if (nameArg === undefined) throw new BatonError('CLI_USAGE', 'baton create needs the new workflow\'s name: baton create <name> --template <template> (or --list to see the templates)');
  if (flags.template === undefined) {
    throw new BatonError('CLI_USAGE', `baton create ${nameArg} needs --template <template>, one of: ${templates.map((t) => t.name).join(', ')}`, { details: { templates: templates.map((t) => t.name) } });
  }
  const template = findTemplate(flags.template, templates);
  const ext = path.extname(nameArg);
  const hasExtension = ext !== '' && /^\.(ya?ml|m?ts|json|js)$/i.test(ext);
  if (hasExtension) checkExtension(template, nameArg);
  const base = hasExtension ? path.basename(nameArg, ext) : path.basename(nameArg);
  const name = checkWorkflowName(base);
  const file = path.resolve(hasExtension ? nameArg : `${nameArg}${template.kind === 'yaml' ? '.yaml' : '.ts'}`);
  const written = writeNewFile(file, renderTemplate(template, { file: path.basename(file), name }), flags.force === true);
  report(written, template, name, flags.json === true);
  return EXIT.ok;
}

/** `baton generate --type <t>`: the template as it is, to `<t>.yaml`, `-o <file>`, or stdout (`-o -`). */
export async function generate(flags: GenerateFlags): Promise<number> {
  const template = findTemplate(flags.type);
  if (flags.output === '-') {
    process.stdout.write(renderTemplate(template, { file: template.file }));
    return EXIT.ok;
  }
  const output = flags.output ?? template.file;
  checkExtension(template, output);
  const file = path.resolve(output);
  const written = writeNewFile(file, renderTemplate(template, { file: path.basename(file) }), flags.force === true);
  report(written, template, template.name, flags.json === true);
  return EXIT.ok;
}

function report(written: WriteResult, template: Template, workflow: string, json: boolean): void {
  const shown = path.relative(process.cwd(), written.file) || written.file;
  const run = `baton run ${shellWord(shown)}`;
  if (json) {
    process.stdout.write(JSON.stringify({ file: written.file, action: written.action, template: template.name, workflow, next: run }, null, 2) + '\n');
    return;
  }
  const verb = written.action === 'overwrote' ? 'Overwrote' : 'Created';
  process.stdout.write(`${verb} ${visible(shown)} (workflow ${visible(workflow)}, from template ${template.name})\n`);
  process.stdout.write(`Make it yours (the "replace:" comments say where), check it with baton validate ${visible(shellWord(shown))}, then run it: ${visible(run)}\n`);
}

function printList(templates: Template[], json: boolean): number {
  if (json) {
    const out = templates.map((t) => ({ name: t.name, kind: t.kind, file: t.file, description: t.description }));
    process.stdout.write(JSON.stringify({ templates: out }, null, 2) + '\n');
    return EXIT.ok;
  }
  const width = Math.max(...templates.map((t) => t.name.length));
  for (const t of templates) process.stdout.write(`${t.name.padEnd(width)}  ${(t.kind === 'yaml' ? 'yaml' : 'ts').padEnd(4)}  ${t.description}\n`);
  process.stdout.write('\nbaton create <name> --template <template> writes <name>.yaml (.ts); baton generate --type <template> writes the template as it is.\n');
  return EXIT.ok;
}
