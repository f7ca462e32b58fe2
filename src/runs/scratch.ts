/**
 * Scratch files: text an agent wrote (a workflow, TypeScript, a script), kept in the
 * project's `.baton/scratch/` (git-ignored) while baton runs or checks it, so it reads as
 * its kind and resolves what it imports from the project (`baton run -`, MCP
 * validate_workflow).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureHome, loadProject } from '../config/project.js';

/**
 * The extension that makes `baton run` read `text` as what it is: a script (`#!` line), a
 * TypeScript workflow (it imports 'baton' or exports a workflow), JSON, or YAML.
 */
export function extensionFor(text: string): string {
  const start = text.replace(/^\uFEFF/, '');
  if (start.startsWith('#!')) return '.script';
  if (/^\s*import\s[^;]*from\s+['"]baton['"]/m.test(start) || /^\s*export\s+default\s+workflow\s*\(/m.test(start)) return '.ts';
  if (start.trimStart().startsWith('{')) return '.json';
  return '.yaml';
}

/**
 * Writes `text` to a new file in the project's scratch folder, named `<prefix>-...` with
 * the extension of its kind; returns its path and how to remove it.
 */
export function writeScratch(text: string, prefix = 'stdin'): { file: string; remove: () => void } {
  const home = loadProject().home;
  ensureHome(home);
  const dir = path.join(home, 'scratch');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}${extensionFor(text)}`);
  writeFileSync(file, text, { mode: 0o600 });
  return { file, remove: () => rmSync(file, { force: true }) };
}
