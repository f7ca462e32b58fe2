/**
 * The project's workflow files, found cheaply: a bounded walk of its folders (not
 * node_modules, .git, .baton or other hidden ones) looking at each candidate's first
 * bytes, not loading it. YAML/JSON with top-level `tasks:` (or the `phases:` and
 * `workflow:` shapes), TypeScript/JavaScript that imports 'baton'. Nothing is validated:
 * a file found may still have problems (`baton validate`).
 */
import { closeSync, openSync, readdirSync, readSync, type Dirent } from 'node:fs';
import path from 'node:path';

export interface WorkflowFile {
  /** Relative to the project's root. */
  file: string;
  kind: 'yaml' | 'json' | 'code';
  /** Its `name:`, when the first lines say it. */
  name?: string;
}

export interface WorkflowScan {
  files: WorkflowFile[];
  /** The walk stopped at a bound (MAX_FILES found, or MAX_ENTRIES looked at): there may be more. */
  incomplete: boolean;
}

const MAX_DEPTH = 4;
const MAX_ENTRIES = 5000;
const MAX_FILES = 200;
const HEAD_BYTES = 16 * 1024;
const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'vendor', 'target', 'coverage']);
const CONFIG_FILES = new Set(['baton.config.yaml', 'baton.config.yml', 'package.json', 'package-lock.json', 'tsconfig.json']);

/** Whether the walk goes into the folder `name` found in a folder `depth` levels below the root (0: the root's own). */
export function walksInto(name: string, depth: number): boolean {
  return depth < MAX_DEPTH && !name.startsWith('.') && !SKIP_DIRS.has(name);
}

export function findWorkflowFiles(root: string): WorkflowScan {
  const files: WorkflowFile[] = [];
  let seen = 0;
  let incomplete = false;
  const walk = (dir: string, depth: number) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return; // unreadable: not ours to report
    }
    for (const entry of entries) {
      if (files.length >= MAX_FILES || ++seen > MAX_ENTRIES) {
        incomplete = true;
        return;
      }
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (walksInto(entry.name, depth)) walk(full, depth + 1);
        continue;
      }
      if (!entry.isFile() || CONFIG_FILES.has(entry.name)) continue;
      const found = classify(full);
      if (found) files.push({ file: path.relative(root, full), ...found });
    }
  };
  walk(root, 0);
  return { files, incomplete };
}

function classify(file: string): Omit<WorkflowFile, 'file'> | undefined {
  const ext = path.extname(file).toLowerCase();
  const yaml = ext === '.yaml' || ext === '.yml';
  const json = ext === '.json';
  const code = ['.ts', '.mts', '.js', '.mjs'].includes(ext);
  if (!yaml && !json && !code) return undefined;
  const head = readHead(file);
  if (code) {
    if (!/^\s*import\s[^;]*from\s+['"]baton['"]/m.test(head)) return undefined;
    const name = /workflow\(\s*\{[^}]*?\bname:\s*['"]([^'"\n]+)['"]/s.exec(head)?.[1];
    return { kind: 'code', ...(name ? { name } : {}) };
  }
  if (yaml) {
    if (!/^(tasks|phases|workflow):/m.test(head)) return undefined;
    const name = /^name:\s*['"]?([^'"#\n]+?)['"]?\s*(#.*)?$/m.exec(head)?.[1];
    return { kind: 'yaml', ...(name ? { name } : {}) };
  }
  if (!/^\s*\{/.test(head) || !/"(tasks|phases|workflow)"\s*:/.test(head)) return undefined;
  const name = /"name"\s*:\s*"([^"\n]+)"/.exec(head)?.[1];
  return { kind: 'json', ...(name ? { name } : {}) };
}

function readHead(file: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
