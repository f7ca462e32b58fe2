/**
 * What access control costs a request (issue 11: under 0.2 ms). Two ways, side by side in
 * one run:
 *
 * - over HTTP: two real `baton serve` processes on SQLite stores, one that never had a
 *   token (no authentication) and one whose requests carry a viewer token (token parsed,
 *   its row read, its hash compared, the permission table consulted); the same reads
 *   (GET /api/runs/{id} of one recorded run, GET /api/runs?limit=1) sent to each, one
 *   request at a time on kept-alive connections, in alternating batches (which server goes
 *   first alternates too) so the machine's noise falls on both alike;
 * - in process: the middleware alone (server/auth.ts) in front of a trivial route, with and
 *   without a token, without HTTP's noise around it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServer } from './serve-process.js';
import { Hono } from 'hono';
import { newToken } from '../src/access/tokens.js';
import { authorize } from '../src/server/auth.js';
import { openStore } from '../src/store/open.js';

/** Per request over HTTP, ms. */
export interface Latency {
  p50: number;
  p99: number;
  mean: number;
}

export interface ReadFigures {
  /** The request, as sent (the run's id shown as {id}). */
  read: string;
  /** The server whose store never had a token. */
  open: Latency;
  /** The server whose store has tokens, the request carrying a viewer's. */
  token: Latency;
}

export interface AuthFigures {
  /** How many requests each server answered per read (warm-up not counted). */
  requests: number;
  reads: ReadFigures[];
  /** The middleware alone, µs per request: with a token, on a store without tokens, and no middleware. */
  inProcess: { tokenUs: number; openUs: number; bareUs: number };
}

const BATCH = 100;
const WARM_UP = 200;

function project(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-auth-'));
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  writeFileSync(path.join(dir, 'one.yaml'), 'name: one\ntasks:\n  - id: a\n    type: noop\n');
  return dir;
}

/** A token made the way a user makes one: `baton token create` on the project's store. */
function createToken(bin: string, dir: string, role: string): string {
  const made = spawnSync(process.execPath, [bin, 'token', 'create', '--role', role, '--json'], { cwd: dir, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`baton token create --role ${role} failed: ${made.stderr}`);
  return (JSON.parse(made.stdout) as { token: string }).token;
}

async function startRun(base: string, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${base}/api/workflows/one/runs`, { method: 'POST', headers });
  if (res.status !== 201) throw new Error(`starting a run at ${base} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { run_id: string }).run_id;
}

const latency = (times: number[]): Latency => {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), mean: times.reduce((a, b) => a + b, 0) / times.length };
};

async function timedRead(url: string, headers: Record<string, string>, times: number[]): Promise<void> {
  const t = performance.now();
  const res = await fetch(url, { headers });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  times.push(performance.now() - t);
}

export async function authFigures(bin: string, requests: number): Promise<AuthFigures> {
  const openDir = project();
  const tokenDir = project();
  const viewer = createToken(bin, tokenDir, 'viewer');
  // The viewer may only read: the run it reads is started with an operator's token.
  const operator = createToken(bin, tokenDir, 'operator');
  const open = await startServer(bin, openDir);
  const secured = await startServer(bin, tokenDir);
  try {
    const auth = { authorization: `Bearer ${viewer}` };
    const runOpen = await startRun(open.base, {});
    const runSecured = await startRun(secured.base, { authorization: `Bearer ${operator}` });
    const reads = [
      { read: 'GET /api/runs/{id}', open: `${open.base}/api/runs/${runOpen}`, token: `${secured.base}/api/runs/${runSecured}` },
      { read: 'GET /api/runs?limit=1', open: `${open.base}/api/runs?limit=1`, token: `${secured.base}/api/runs?limit=1` },
    ];
    const figures: ReadFigures[] = [];
    for (const read of reads) {
      const openTimes: number[] = [];
      const tokenTimes: number[] = [];
      const batch = async (server: 'open' | 'token', times: number[], count: number) => {
        for (let i = 0; i < count; i++) await timedRead(read[server], server === 'token' ? auth : {}, times);
      };
      for (let i = 0; i < WARM_UP / BATCH; i++) {
        await batch('open', [], BATCH);
        await batch('token', [], BATCH);
      }
      for (let b = 0; b < Math.ceil(requests / BATCH); b++) {
        const count = Math.min(BATCH, requests - b * BATCH);
        const first = b % 2 === 0 ? 'open' : 'token';
        const second = first === 'open' ? 'token' : 'open';
        await batch(first, first === 'open' ? openTimes : tokenTimes, count);
        await batch(second, second === 'open' ? openTimes : tokenTimes, count);
      }
      figures.push({ read: read.read, open: latency(openTimes), token: latency(tokenTimes) });
    }
    return { requests, reads: figures, inProcess: await inProcess() };
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
