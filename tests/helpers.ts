import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI under test: the checkout's build, or BATON_TEST_BIN (a build of the tree made elsewhere, while dist/ is in use). */
export const BATON = process.env.BATON_TEST_BIN ?? path.join(ROOT, 'bin', 'baton.js');

/**
 * Runs started by tests are recorded in a store of their own, never in the checkout's
 * `.baton/` (a test may still pass BATON_HOME or --store).
 */
export const TEST_HOME = mkdtempSync(path.join(tmpdir(), 'baton-home-'));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (npm test builds it first) and waits for it. */
export function baton(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [BATON, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', BATON_HOME: TEST_HOME, ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the CLI without waiting, for signals and live output. */
export function batonAsync(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(process.execPath, [BATON, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', BATON_HOME: TEST_HOME, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, done, output: () => stdout + stderr };
}

export function tempDir(prefix = 'baton-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** Writes a workflow file into a fresh folder and returns its path. */
export function writeWorkflow(text: string, name = 'flow.yaml'): string {
  const file = path.join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Is a process alive (a zombie, exited but never reaped, is not)? */
export { isAlive as alive } from '../src/executors/test-support.js';
