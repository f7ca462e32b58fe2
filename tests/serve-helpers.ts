/**
 * Helpers for tests of `baton serve`: a real daemon process on an ephemeral loopback port,
 * real HTTP, and readers of its JSON answers and event streams.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { expect } from 'vitest';
import { BATON, tempDir, TEST_HOME } from './helpers.js';

export interface Served {
  child: ChildProcess;
  base: string;
  log: () => string;
  exited: Promise<number | null>;
}

const running: Served[] = [];
/** Kills every server the test started (call from afterEach). */
export function killServers(): void {
  for (const s of running.splice(0)) s.child.kill('SIGKILL');
}

/** Starts `baton serve --port 0` in `dir` and resolves once it says where it listens. */
export function serve(dir: string, ...args: string[]): Promise<Served> {
  const child = spawn(process.execPath, [BATON, 'serve', '--port', '0', ...args], { cwd: dir, env: { ...process.env, BATON_HOME: TEST_HOME, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`baton serve did not listen:\n${log}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        const served = { child, base: match[1], log: () => log, exited };
        running.push(served);
        resolve(served);
      }
    });
    child.on('exit', () => reject(new Error(`baton serve exited:\n${log}`)));
  });
}

export function project(files: Record<string, string>): string {
  const dir = tempDir('baton-serve-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export const HELLO = 'name: hello\ninputs:\n  who: {type: string, default: world}\noutputs:\n  said: "${ tasks.say.outputs.stdout }"\ntasks:\n  - id: say\n    command: echo "hello $WHO"\n    environment: { WHO: "${ inputs.who }" }\n';
export const SLOW = 'name: slow\ntasks:\n  - id: nap\n    command: sleep 2 && echo rested\n  - id: after\n    depends_on: [nap]\n    command: echo after\n';

export async function json(res: Response): Promise<{ status: number; body: Record<string, unknown> }> {
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The SSE events of a stream until it ends: [id, event, data]. */
export async function sse(url: string, headers: Record<string, string> = {}): Promise<Array<{ id: string; event: string; data: Record<string, unknown> }>> {
  const res = await fetch(url, { headers });
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim() ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as Record<string, unknown> };
    });
}

/**
 * POSTs `bytes` of JSON and reads the answer: the server answers 413 from the length alone
 * and may close before the body is sent, which fetch reports as a failure, not a response.
 */
export function tooLarge(url: string, bytes: number): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const body = `{"inputs":{"who":"${'x'.repeat(bytes)}"}}`;
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err)));
    req.end(body);
  });
}

export function batonSync(args: string[]) {
  const r = spawnSync(process.execPath, [BATON, ...args], { encoding: 'utf8', env: { ...process.env, BATON_HOME: TEST_HOME } });
  return { status: r.status, stderr: r.stderr };
}

/** Reads a run's event stream until an event of `type` arrives, then lets it go. */
export async function until(url: string, type: string): Promise<void> {
  const stop = new AbortController();
  const res = await fetch(url, { signal: stop.signal });
  const reader = res.body!.getReader();
  let text = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended without ${type}:\n${text}`);
    text += Buffer.from(value).toString();
    if (text.includes(`event: ${type}\n`)) break;
  }
  stop.abort();
}

