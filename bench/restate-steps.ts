/**
 * The Restate side of the durable-step benchmark (issue 8, Benchmark item 2): the same
 * sequential workflow of no-op durable steps as baton's, on Restate, the durable-execution
 * engine with the best published per-step latency. One call starts a fresh restate-server
 * on loopback (restate-server.ts), serves a handler from this process through the Restate
 * SDK, registers it, and times whole invocations through ingress: the figure is what a
 * caller waits for, divided by the steps, with nothing subtracted.
 *
 * Run alone: `npx tsx bench/restate-steps.ts [steps...]` (default 1000 and 100).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import * as restate from '@restatedev/restate-sdk';
import { LOOPBACK, spawnRestateServer, type RestateServer } from './restate-server.js';

export interface RestateStepFigures {
  /** Best wall time of one invocation over `runs`, divided by the steps, in µs. */
  usPerStep: number;
  /** From spawning restate-server until its admin API and ingress both answer. */
  startupMs: number;
  /** restate-server's own version (GET /version on the admin API). */
  version: string;
}

const SERVICE = 'BatonBenchSteps';
/** The newly registered service may take a moment to reach ingress, which answers 404 until then. */
const ROUTABLE_TIMEOUT_MS = 30_000;

/** `steps` sequential no-op durable steps, each journaled by the server before the next. */
const benchSteps = restate.service({
  name: SERVICE,
  handlers: {
    run: async (ctx: restate.Context, steps: number): Promise<number> => {
      let sum = 0;
      for (let i = 0; i < steps; i++) sum += await ctx.run(`s${i}`, () => i);
      return sum;
    },
  },
});

export async function restateMicrosPerStep(steps: number, runs = 3): Promise<RestateStepFigures> {
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`restateMicrosPerStep: steps must be a positive integer, got ${steps}`);
  const restorePromise = shimPromiseWithResolvers();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'baton-bench-restate-'));
  let server: RestateServer | undefined;
  let endpoint: SdkEndpoint | undefined;
  try {
    endpoint = await startEndpoint();
    server = await spawnRestateServer(dataDir);
    const { startupMs, version } = await server.ready();
    await registerDeployment(server, endpoint.url);
    await invokeOnceRoutable(server, steps, endpoint); // warm-up
    let best = Infinity;
    for (let r = 0; r < runs; r++) best = Math.min(best, await invoke(server, steps, endpoint));
    return { usPerStep: (best * 1000) / steps, startupMs, version };
  } finally {
    try {
      await server?.stop();
      await endpoint?.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      restorePromise();
    }
  }
}

/**
 * The SDK (1.17) calls Promise.withResolvers, which Node has only from 22; baton supports
 * Node 20. The shim is the ES2024 definition, lives only while the bench runs, and is
 * removed afterwards, so no baton code measured in the same process can come to rely on it.
 */
function shimPromiseWithResolvers(): () => void {
  const promise = Promise as { withResolvers?: unknown };
  if (typeof promise.withResolvers === 'function') return () => {};
  promise.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const settled = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise: settled, resolve, reject };
  };
  return () => delete promise.withResolvers;
}

interface SdkEndpoint {
  url: string;
  /** Warnings and errors the SDK logged, for error messages; its info lines are dropped. */
  problems: string[];
  /** Aborted at the SDK's first error: Restate would retry the invocation for minutes, the bench stops at once. */
  failed: AbortSignal;
  close(): Promise<void>;
}

/** The SDK's handler on an HTTP/2 cleartext server of our own, so it binds loopback only and closes when told. */
async function startEndpoint(): Promise<SdkEndpoint> {
  const problems: string[] = [];
  const failure = new AbortController();
  const handler = restate.createEndpointHandler({
    services: [benchSteps],
    logger: (meta, message, ...rest) => {
      if (meta.level !== 'warn' && meta.level !== 'error') return;
      const line = [message, ...rest].map(String).join(' ');
      problems.push(line);
      if (meta.level === 'error') failure.abort(new Error(`the Restate SDK failed: ${line}`));
    },
  });
  const server = http2.createServer(handler);
  // Restate keeps its HTTP/2 connection open; close() alone would wait for it.
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${LOOPBACK}:${port}`,
    problems,
    failed: failure.signal,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}

async function registerDeployment(server: RestateServer, uri: string): Promise<void> {
  const response = await fetch(`${server.adminUrl}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uri }),
  });
  if (!response.ok) throw new Error(`registering ${uri} with restate-server failed: HTTP ${response.status} ${await response.text()}\nserver log ends:\n${server.logTail()}`);
}

/** The first call, retried while ingress does not know the service yet. */
async function invokeOnceRoutable(server: RestateServer, steps: number, endpoint: SdkEndpoint): Promise<void> {
  const deadline = performance.now() + ROUTABLE_TIMEOUT_MS;
  for (;;) {
    try {
      await invoke(server, steps, endpoint);
      return;
    } catch (error) {
      if (!(error instanceof NotRoutable) || performance.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

class NotRoutable extends Error {}

/** One invocation through ingress; its wall time in ms. Checks the answer, so a call that did not run the steps cannot pass for a fast one. */
async function invoke(server: RestateServer, steps: number, endpoint: SdkEndpoint): Promise<number> {
  const call = `Restate invocation of ${SERVICE}/run(${steps})`;
  const diagnosis = () => {
    const sdk = endpoint.problems.length > 0 ? `\nSDK logged:\n${endpoint.problems.slice(-5).join('\n')}` : '';
    return `${sdk}\nserver log ends:\n${server.logTail()}`;
  };
  // Generous: Restate's published figure is about 1.4 ms per step.
  const timeoutMs = 60_000 + steps * 50;
  const start = performance.now();
  let response: Response;
  let body: string;
  try {
    response = await fetch(`${server.ingressUrl}/${SERVICE}/run`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(steps),
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), endpoint.failed]),
    });
    body = await response.text();
  } catch (error) {
    const why = endpoint.failed.aborted ? 'failed in the SDK' : `got no answer within ${timeoutMs / 1000} s`;
    throw new Error(`${call} ${why}: ${String(error)}${diagnosis()}`, { cause: error });
  }
  const ms = performance.now() - start;
  if (response.status === 404) throw new NotRoutable(`ingress does not route ${SERVICE} yet: ${body}`);
  const expected = (steps * (steps - 1)) / 2;
  if (!response.ok || Number(body) !== expected) {
    throw new Error(`${call} answered HTTP ${response.status} ${body.slice(0, 500)} (expected ${expected})${diagnosis()}`);
  }
  return ms;
}

// Bundled into dist/bench/run.js, import.meta.url is the bundle's own URL, which is also
// argv[1] there: the file name check keeps this from running inside `npm run bench`.
const entry = process.argv[1];
if (entry !== undefined && /restate-steps\.[cm]?[jt]s$/.test(entry) && import.meta.url === pathToFileURL(entry).href) {
  const counts = process.argv.slice(2).map(Number);
  for (const steps of counts.length > 0 ? counts : [1000, 100]) {
    const figures = await restateMicrosPerStep(steps);
    console.log(`Restate ${figures.version}, ${steps} sequential steps: ${figures.usPerStep.toFixed(0)} µs/step (server up in ${figures.startupMs.toFixed(0)} ms)`);
  }
}
