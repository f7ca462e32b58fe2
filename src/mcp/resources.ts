/**
 * The documentation an agent needs to write workflows, as MCP resources
 * (`baton://docs/<name>`), read from the docs/ folder shipped with this copy of baton.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installDir } from '../config/install-dir.js';

export interface DocResource {
  name: string;
  uri: string;
  title: string;
  description: string;
  file: string;
}

const DOCS: ReadonlyArray<Omit<DocResource, 'uri' | 'file'>> = [
  { name: 'workflow-format', title: 'Workflow file format', description: 'The YAML/JSON workflow format: tasks, types, depends_on, conditions, retry, loops, parallel, inputs, outputs.' },
  { name: 'expressions', title: 'Expressions', description: 'The ${ ... } expressions in workflow files: contexts (inputs, tasks, env), operators and functions.' },
  { name: 'code-workflows', title: 'TypeScript workflows and scripts', description: 'Workflows as TypeScript (ctx.step, ctx.map, ctx.sleep, ctx.waitForEvent, ctx.approval, ctx.summary) and scripts with durable `baton step`s.' },
  { name: 'skills', title: 'Skills', description: 'Skills in the Agent Skills format (SKILL.md): where they live, their entry and inputs, calling them with uses:.' },
  { name: 'agents', title: 'baton for agents', description: 'How an agent uses baton: these MCP tools, baton run -, the summary and exit codes, the sandbox.' },
];

/** The docs this copy of baton ships (none when its docs/ folder is missing). */
export function docResources(): DocResource[] {
  const dir = installDir();
  if (dir === undefined) return [];
  return DOCS.map((doc) => ({ ...doc, uri: `baton://docs/${doc.name}`, file: path.join(dir, 'docs', `${doc.name}.md`) })).filter((doc) => existsSync(doc.file));
}

export function readDoc(doc: DocResource): string {
  return readFileSync(doc.file, 'utf8');
}
