/**
 * `baton run -`: a workflow or a script read from standard input, for an agent that pipes
 * in what it just wrote. The text is written to a file in `.baton/scratch/` (git-ignored),
 * run like any file with the current folder as its working folder, and removed after the
 * run unless `--keep-scratch`; the run keeps its own snapshot, so `baton resume` works
 * without the file. An ad-hoc run has a time limit (STDIN_TIMEOUT_MS unless `--timeout`).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureHome, loadProject } from '../config/project.js';
import { BatonError } from '../observability/errors.js';

/** The longest text read from standard input. */
const MAX_STDIN_BYTES = 10 * 1024 * 1024;
/** An ad-hoc run's time limit when neither it nor `--timeout` sets one (seed 003: 300 s). */
export const STDIN_TIMEOUT_MS = 300_000;

/** Reads standard input in full (bounded). USAGE_STDIN when it is a terminal, empty or too big. */
export async function readStdin(stream: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stream.isTTY) throw usage('`baton run -` reads a workflow or a script from standard input: pipe it in (cat flow.yaml | baton run -)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw usage(`standard input is over ${MAX_STDIN_BYTES / 1024 / 1024} MiB: write the workflow to a file and run that`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw usage('standard input is empty: nothing to run');
  return text;
}

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

/** Writes `text` to a new file in the project's scratch folder; returns its path and how to remove it. */
export function writeScratch(text: string): { file: string; remove: () => void } {
  const home = loadProject().home;
  ensureHome(home);
  const dir = path.join(home, 'scratch');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `stdin-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}${extensionFor(text)}`);
  writeFileSync(file, text, { mode: 0o600 });
  return { file, remove: () => rmSync(file, { force: true }) };
}

function usage(message: string): BatonError {
  return new BatonError('USAGE_STDIN', message);
}
