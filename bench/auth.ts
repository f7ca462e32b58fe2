/**
 * What access control costs a request (issue 11: under 0.2 ms). Two ways, side by side in
 * one run:
 *
 * - over HTTP: two real `baton serve` processes on SQLite stores, one that never had a
 *   token (no authentication) and one whose requests carry a viewer token (token parsed,
 *   its row read, its hash compared, the permission table consulted); the same read
 *   (GET /api/runs/{id}) sent to each in alternating batches, so the machine's noise falls
 *   on both alike;
 * - in process: the middleware alone (server/auth.ts) in front of a trivial route, with and
 *   without a token, without HTTP's noise around it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { newToken } from '../src/access/tokens.js';
import { authorize } from '../src/server/auth.js';
import { openStore } from '../src/store/open.js';

export interface AuthFigures {
  /** Per request over HTTP, ms: p50 and mean, without and with a token. */
  open: { p50: number; mean: number };
  token: { p50: number; mean: number };
  /** The middleware alone, µs per request: with a token, and for a store without tokens. */
  inProcess: { tokenUs: number; openUs: number; bareUs: number };
}

async function start(bin: string, dir: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--grace', '0'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const base = await new Promise<string>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(log);
      if (match) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`baton serve exited:\n${log}`)));
  });
  return { child, base };
}

function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-auth-'));
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  writeFileSync(path.join(dir, 'one.yaml'), 'name: one\ntasks:\n  - id: a\n    type: noop\n');
  return dir;
}

const stats = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: sorted[Math.floor(sorted.length / 2)], mean: times.reduce((a, b) => a + b, 0) / times.length };
};

export async function authFigures(bin: string, requests: number): Promise<AuthFigures> {
  const openDir = project();
  const tokenDir = project();
  const made = spawnSync(process.execPath, [bin, 'token', 'create', '--role', 'viewer', '--json'], { cwd: tokenDir, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`baton token create failed: ${made.stderr}`);
  const token = (JSON.parse(made.stdout) as { token: string }).token;
  const open = await start(bin, openDir);
  const secured = await start(bin, tokenDir);
  try {
    const auth = { authorization: `Bearer ${token}` };
    // One run in each, read again and again. (Starting it needs an operator: the open server starts both ids' worth.)
    const runOpen = ((await (await fetch(`${open.base}/api/workflows/one/runs`, { method: 'POST' })).json()) as { run_id: string }).run_id;
    const operator = JSON.parse(spawnSync(process.execPath, [bin, 'token', 'create', '--role', 'operator', '--json'], { cwd: tokenDir, encoding: 'utf8' }).stdout) as { token: string };
    const runSecured = ((await (await fetch(`${secured.base}/api/workflows/one/runs`, { method: 'POST', headers: { authorization: `Bearer ${operator.token}` } })).json()) as { run_id: string }).run_id;
    const read = async (url: string, headers: Record<string, string>, times: number[]) => {
      const t = performance.now();
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      times.push(performance.now() - t);
    };
    const openTimes: number[] = [];
    const tokenTimes: number[] = [];
    for (let i = 0; i < 200; i++) {
      await read(`${open.base}/api/runs/${runOpen}`, {}, []);
      await read(`${secured.base}/api/runs/${runSecured}`, auth, []);
    }
    for (let batch = 0; batch < requests / 100; batch++) {
      for (let i = 0; i < 100; i++) await read(`${open.base}/api/runs/${runOpen}`, {}, openTimes);
      for (let i = 0; i < 100; i++) await read(`${secured.base}/api/runs/${runSecured}`, auth, tokenTimes);
    }
    return { open: stats(openTimes), token: stats(tokenTimes), inProcess: await inProcess() };
  } finally {
    open.child.kill('SIGKILL');
    secured.child.kill('SIGKILL');
  }
}

/** The middleware alone: µs per request through a Hono app with one route, best of three. */
async function inProcess(): Promise<AuthFigures['inProcess']> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-auth-'));
  const withToken = openStore(path.join(dir, 'token.db'));
  const without = openStore(path.join(dir, 'open.db'));
  const made = newToken();
  await withToken.access.addToken({ id: made.id, roles: ['viewer'], namespace: 'default', hash: made.hash, created_at: Date.now(), created_by: 'bench' });
  const app = (store: typeof withToken | undefined) => {
    const hono = new Hono();
    if (store) hono.use('*', authorize({ store: () => store, log: () => {}, hasNamespace: (name) => name === 'default' }) as never);
    hono.get('/api/runs', (c) => c.json({ runs: [] }));
    return hono;
  };
  const measure = async (hono: Hono, headers: Record<string, string>) => {
    let best = Infinity;
    for (let round = 0; round < 3; round++) {
      const n = 20_000;
      const t = performance.now();
      for (let i = 0; i < n; i++) {
        const res = await hono.request('/api/runs', { headers });
        if (res.status !== 200) throw new Error(`in-process request answered ${res.status}`);
      }
      best = Math.min(best, ((performance.now() - t) * 1000) / n);
    }
    return best;
  };
  try {
    const bareUs = await measure(app(undefined), {});
    const openUs = await measure(app(without), {});
    const tokenUs = await measure(app(withToken), { authorization: `Bearer ${made.token}` });
    return { tokenUs, openUs, bareUs };
  } finally {
    await withToken.close();
    await without.close();
  }
}
