/**
 * Worker processes for the PostgreSQL benchmark: real child processes, as they run in
 * production, one `node` each. A child is ready once a line of its output matches what
 * it prints when it takes work; it is stopped with SIGTERM (each side's graceful stop),
 * then SIGKILL after a grace, which counts as a failure: a worker that does not stop when
 * told is a finding, not noise. Until stopped, an 'exit' hook kills it if the benchmark
 * ends some other way, so no worker outlives the benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** How long a worker may take to start (connect, migrate its schema). */
const READY_TIMEOUT_MS = 60_000;
/** Between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 15_000;
/** Output kept for error messages. */
const TAIL_CHARS = 4_000;

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly label: string;
  /** What it printed (both streams, interleaved), its last TAIL_CHARS. */
  output(): string;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; rejects if it had to kill or the exit was not 0. */
  stop(): Promise<void>;
}

export interface SpawnWorker {
  label: string;
  args: string[];
  /** The line that says it takes work. */
  ready: RegExp;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a worker and resolves once it says it is ready; fails loudly if it exits first or takes too long. */
export async function startWorker({ label, args, ready, env, cwd }: SpawnWorker): Promise<WorkerProcess> {
  const child = spawn(process.execPath, args, { env: env ?? process.env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let seenReady = false;
  let onReady: (() => void) | undefined;
  const take = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-TAIL_CHARS);
    if (!seenReady && ready.test(log)) {
      seenReady = true;
      onReady?.();
    }
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const killNow = () => {
    if (running()) child.kill('SIGKILL');
  };
  process.once('exit', killNow);
  const worker: WorkerProcess = {
    child,
    label,
    output: () => log,
    async stop() {
      process.removeListener('exit', killNow);
      if (!running()) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => false), delay(STOP_GRACE_MS).then(() => true)]);
      if (killed) {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`${label} did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM and was killed; its output ends:\n${log}`);
      }
      if (child.exitCode !== 0) throw new Error(`${label} exited ${child.exitCode ?? child.signalCode} on SIGTERM; its output ends:\n${log}`);
    },
  };
  try {
    await new Promise<void>((resolve, reject) => {
      if (seenReady) return resolve();
      const timer = setTimeout(() => reject(new Error(`${label} did not say it was ready within ${READY_TIMEOUT_MS / 1000} s; its output ends:\n${log}`)), READY_TIMEOUT_MS);
      void exited.then(() => reject(new Error(`${label} exited (${child.exitCode ?? child.signalCode}) before it was ready; its output ends:\n${log}`)));
      onReady = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  } catch (err) {
    killNow();
    process.removeListener('exit', killNow);
    throw err;
  }
  return worker;
}

/**
 * `count` workers made by `make(i)`, started together; `fn` runs once all are ready, and
 * all are stopped afterwards, whatever happens. A stop that fails is reported after `fn`'s
 * own error, never instead of it.
 */
export async function withWorkers<T>(count: number, make: (i: number) => SpawnWorker, fn: (workers: WorkerProcess[]) => Promise<T>): Promise<T> {
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startWorker(make(i))));
  const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  let result: T;
  try {
    if (failed) throw failed.reason;
    result = await fn(workers);
  } catch (err) {
    await Promise.allSettled(workers.map((w) => w.stop()));
    throw err;
  }
  const stops = await Promise.allSettled(workers.map((w) => w.stop()));
  const stopFailed = stops.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (stopFailed) throw stopFailed.reason;
  return result;
}

/** Rejects with `what` after `ms`, unless `promise` settles first: a hang fails loudly. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no end within ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
