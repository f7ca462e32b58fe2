/**
 * `baton run -`: a workflow or a script read from standard input, for an agent that pipes
 * in what it just wrote. The text is written to a file in `.baton/scratch/` (git-ignored),
 * run like any file with the current folder as its working folder, and removed after the
 * run unless `--keep-scratch`; the run keeps its own snapshot, so `baton resume` works
 * without the file. An ad-hoc run has a time limit (STDIN_TIMEOUT_MS unless `--timeout`).
 */
import { BatonError } from '../observability/errors.js';

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

function usage(message: string): BatonError {
  return new BatonError('USAGE_STDIN', message);
}
