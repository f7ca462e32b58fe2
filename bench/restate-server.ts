/**
 * A throwaway Restate server for the step benchmark: the binary from the
 * @restatedev/restate-server-<os>-<arch> package (a devDependency), on loopback ports of its
 * own, with its data in a folder the caller owns and removes. Its log goes to a file in that
 * folder, so an error can quote the tail of it.
 *
 * Lifecycle: spawnRestateServer() starts the process at once and returns a handle; ready()
 * waits until admin and ingress both answer; stop() is SIGTERM, then SIGKILL after a grace,
 * and is safe to call in any state. Until stop(), an 'exit' hook kills the server if this
 * process ends some other way (process.exit in a bench), so no server outlives the bench.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { arch, platform } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOOPBACK = '127.0.0.1';
/** How long the server may take to answer on admin and ingress (it provisions a cluster on first start). */
const STARTUP_TIMEOUT_MS = 60_000;
/** Between SIGTERM and SIGKILL: Restate drains its queues on SIGTERM (its own timeout is 1 minute). */
const STOP_GRACE_MS = 5_000;
const POLL_MS = 50;

export interface RestateServer {
  adminUrl: string;
  ingressUrl: string;
  /** Resolves with the ms from spawn until admin and ingress both answer, and the server's version. */
  ready(): Promise<{ startupMs: number; version: string }>;
  stop(): Promise<void>;
  /** The last `bytes` of the server's log, for error messages. */
  logTail(bytes?: number): string;
}

/** The platform binary, resolved the way the package's own launcher (lib/index.js) does. */
export function restateServerBinary(): string {
  const pkg = `@restatedev/restate-server-${platform()}-${arch()}`;
  try {
    return createRequire(import.meta.url).resolve(`${pkg}/bin/restate-server`);
  } catch (error) {
    throw new Error(`restate-server binary not found: ${pkg} is not installed (run npm install; it is an optional dependency of @restatedev/restate-server)`, { cause: error });
  }
}

/**
 * `count` distinct ports free on loopback now, held open together so none is handed out
 * twice; the server binds them a moment later (a race that loses only on a busy machine,
 * and then says so in its log).
 */
export async function freePorts(count: number): Promise<number[]> {
  const probes = Array.from({ length: count }, () => net.createServer());
  try {
    return await Promise.all(
      probes.map(
        (probe) =>
          new Promise<number>((resolve, reject) => {
            probe.once('error', reject);
            probe.listen(0, LOOPBACK, () => resolve((probe.address() as net.AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(probes.map((probe) => new Promise((resolve) => (probe.listening ? probe.close(resolve) : resolve(undefined)))));
  }
}

export async function spawnRestateServer(dataDir: string): Promise<RestateServer> {
  const binary = restateServerBinary();
  const [ingressPort, adminPort, fabricPort] = await freePorts(3);
  const logFile = path.join(dataDir, 'restate-server.log');
  const log = openSync(logFile, 'w');
  // RESTATE_* variables of the caller's shell would change the configuration under test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('RESTATE_')));
  const startedAt = performance.now();
  const child = spawn(
    binary,
    ['--base-dir', dataDir, '--node-name', 'bench', '--listen-mode', 'tcp', '--bind-address', `${LOOPBACK}:${fabricPort}`, '--no-logo', '--log-disable-ansi-codes', 'true'],
    {
      env: {
        ...env,
        RESTATE_INGRESS__BIND_ADDRESS: `${LOOPBACK}:${ingressPort}`,
        RESTATE_ADMIN__BIND_ADDRESS: `${LOOPBACK}:${adminPort}`,
        RESTATE_DISABLE_TELEMETRY: 'true',
      },
      stdio: ['ignore', log, log],
    },
  );
  closeSync(log); // the child holds its own copy
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const killNow = () => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', killNow);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));

  const adminUrl = `http://${LOOPBACK}:${adminPort}`;
  const ingressUrl = `http://${LOOPBACK}:${ingressPort}`;
  const logTail = (bytes = 2_000) => {
    try {
      return readFileSync(logFile, 'utf8').slice(-bytes);
    } catch {
      return '(no log)';
    }
  };

  const ready = async () => {
    const deadline = startedAt + STARTUP_TIMEOUT_MS;
    while (!(await answers(`${adminUrl}/health`)) || !(await answers(`${ingressUrl}/restate/health`))) {
      if (spawnError) throw new Error(`restate-server did not start: ${spawnError.message}`, { cause: spawnError });
      if (!running()) throw new Error(`restate-server exited (${child.exitCode ?? child.signalCode}) before it was ready; its log ends:\n${logTail()}`);
      if (performance.now() > deadline) throw new Error(`restate-server did not answer on ${adminUrl}/health and ${ingressUrl}/restate/health within ${STARTUP_TIMEOUT_MS / 1000} s; its log ends:\n${logTail()}`);
      await sleep(POLL_MS);
    }
    const startupMs = performance.now() - startedAt;
    const response = await fetch(`${adminUrl}/version`);
    const { version } = (await response.json()) as { version: string };
    return { startupMs, version };
  };

  const stop = async () => {
    process.removeListener('exit', killNow);
    if (!running() || child.pid === undefined) return;
    child.kill('SIGTERM');
    const grace = new AbortController();
    const graceOver = sleep(STOP_GRACE_MS, undefined, { signal: grace.signal }).then(
      () => true,
      () => false,
    );
    if (await Promise.race([exited.then(() => false), graceOver])) {
      child.kill('SIGKILL');
      await exited;
    }
    grace.abort();
  };

  return { adminUrl, ingressUrl, ready, stop, logTail };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}
