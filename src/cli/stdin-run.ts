/**
 * `baton run -`: a workflow or a script read from standard input, for an agent that pipes
 * in what it just wrote. The text is written to a file in `.baton/scratch/` (git-ignored),
 * run like any file with the current folder as its working folder, and removed after the
 * run unless `--keep-scratch`; the run keeps its own snapshot, so `baton resume` works
 * without the file. An ad-hoc run has a time limit (STDIN_TIMEOUT_MS unless `--timeout`).
 */
import path from 'node:path';
import { BatonError } from '../observability/errors.js';
import { extensionFor } from '../runs/scratch.js';

// The scratch file is written below the front ends: baton mcp writes one to validate text.
export { extensionFor, writeScratch } from '../runs/scratch.js';

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
 * What kind of file `text` is, as an extension for `scripts.allowed_extensions` (seed
 * 003's list, `[.py, .sh, .js]`): a script by its `#!` line's program (sh, bash, dash,
 * zsh: .sh; python: .py; node: .js; others: their name), else .ts, .json or .yaml.
 */
export function adhocExtension(text: string): string {
  const kind = extensionFor(text);
  if (kind !== '.script') return kind;
  const line = text.replace(/^\uFEFF/, '').split('\n', 1)[0].slice(2).trim().split(/\s+/);
  const program = path.basename(line[0] === '/usr/bin/env' || line[0] === 'env' ? (line.find((w, i) => i > 0 && !w.startsWith('-')) ?? '') : (line[0] ?? ''));
  if (/^(sh|bash|dash|zsh|ksh)$/.test(program)) return '.sh';
  if (/^python[0-9.]*$/.test(program)) return '.py';
  if (/^(node|nodejs)$/.test(program)) return '.js';
  return `.${program.replace(/[^A-Za-z0-9]/g, '') || 'script'}`;
}

/** Refuses text whose kind baton.config.yaml's `scripts.allowed_extensions` does not list (USAGE_STDIN, exit 2). */
export function checkAllowed(text: string, allowed: readonly string[] | undefined): void {
  if (allowed === undefined) return;
  const kind = adhocExtension(text);
  const same = (a: string) => a === kind || (kind === '.yaml' && a === '.yml');
  if (allowed.some(same)) return;
  throw new BatonError('SCRIPT_NOT_ALLOWED', `standard input holds a ${kind} file, and baton.config.yaml allows only ${allowed.join(', ')} (scripts.allowed_extensions): write it as one of those, or add ${kind} to the list`, {
    details: { kind, allowed },
  });
}

function usage(message: string): BatonError {
  return new BatonError('USAGE_STDIN', message);
}
