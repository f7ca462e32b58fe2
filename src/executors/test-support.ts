/**
 * Shared by this folder's tests (not by baton itself): a TaskIO over a fresh temporary
 * folder that records what the task printed, and a liveness check that counts zombies
 * (exited, never reaped: PID 1 here may not reap orphans) as dead; a local HTTP server.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShellTask } from '../spec/model.js';
import { taskDefaults } from '../spec/task-defaults.js';
import type { TaskIO } from './types.js';
import { afterAll, beforeAll } from 'vitest';

export interface RecordingIO extends TaskIO {
  out: string[];
  err: string[];
}

export function testIO(overrides: Partial<TaskIO> = {}): RecordingIO {
  const baseDir = mkdtempSync(join(tmpdir(), 'baton-exec-'));
  const scratchDir = join(baseDir, '.scratch', 'task-a.1');
  mkdirSync(scratchDir, { recursive: true });
  const out: string[] = [];
  const err: string[] = [];
  return {
    runId: '01JTESTRUN',
    taskKey: 'task-a',
    attempt: 1,
    idempotencyKey: '01JTESTRUN/task-a',
    env: { ...process.env } as Record<string, string>,
    baseDir,
    scratchDir,
    stdout: (chunk) => out.push(chunk),
    stderr: (chunk) => err.push(chunk),
    out,
    err,
    ...overrides,
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): kill(0) is all there is
  }
}

/** Polls `check` every 20 ms until it holds or `ms` pass. */
export async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The rejection of `promise`, failing if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection, got a result');
}

/** A shell task with every other field at its default. */
export function shellTask(command: string, extra: Partial<ShellTask> = {}): ShellTask {
  return { id: 't', explicit_id: true, type: 'shell', command, ...taskDefaults(), ...extra };
}

/** A route of routeServer: what to answer, with the request's body read in full. */
export type Route = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/**
 * A local HTTP server on 127.0.0.1 answering `routes` by path, started before the file's
 * tests and closed after them (vitest's beforeAll/afterAll). `base()`: its http:// URL.
 */
export function routeServer(routes: Record<string, Route>): { base: () => string } {
  let server: Server | undefined;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => routes[new URL(req.url ?? '/', 'http://x').pathname]?.(req, res, body));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });
  return { base: () => base };
}
