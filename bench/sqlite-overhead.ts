/**
 * The durable store's cost: the same 10,000-noop chain and fan-out as engine-overhead.ts,
 * recorded in a fresh SQLite file; loading a finished 10,000-task run for resume; the whole
 * `baton resume` of an interrupted one; and baton's peak memory while a task prints 1 GB.
 * Every file goes to a temp folder that is removed afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRun } from '../src/engine/resume.js';
import { runWorkflow } from '../src/engine/runner.js';
import { workflow } from '../src/engine/test-dsl.js';
import type { TaskSpec } from '../src/spec/model.js';
import { openStore } from '../src/store/open.js';
import { currentOwner } from '../src/store/ownership.js';

/** A temp folder for `fn`, removed afterwards whatever happens. */
export async function inTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface SqliteRun {
  micros: number;
  runId: string;
}

/** Runs the tasks on a fresh SQLite store in `dir`, owned like a CLI run; µs per task. */
export async function sqliteMicrosPerTask(tasks: TaskSpec[], concurrency: number, dir: string): Promise<SqliteRun> {
  const store = openStore(path.join(dir, `bench-${Date.now()}-${Math.random().toString(36).slice(2)}.db`));
  try {
    const start = process.hrtime.bigint();
    const { runId, state } = await runWorkflow({ store, owner: currentOwner(), workflow: workflow(tasks), concurrency });
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    if (state.status !== 'succeeded') throw new Error(`sqlite bench run ${state.status}`);
    return { micros: elapsed / tasks.length, runId };
  } finally {
    await store.close();
  }
}

/** The best of `times` runs, each on its own fresh database file. */
export async function bestSqlite(times: number, tasks: () => TaskSpec[], concurrency: number): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const { micros } = await inTempDir('baton-bench-sqlite-', (dir) => sqliteMicrosPerTask(tasks(), concurrency, dir));
    best = Math.min(best, micros);
  }
  return best;
}

export interface LoadFigures {
  /** loadRun: read the events and replay them (best of `times`, each from a freshly opened store). */
  loadMs: number;
  events: number;
  tasks: number;
}

/** Records a finished run of `tasks` on SQLite, then times loading it for resume. */
export async function loadFinishedRunMs(tasks: TaskSpec[], times: number): Promise<LoadFigures> {
  return inTempDir('baton-bench-load-', async (dir) => {
    const file = path.join(dir, 'baton.db');
    const store = openStore(file);
    let runId: string;
    try {
      ({ runId } = await runWorkflow({ store, owner: currentOwner(), workflow: workflow(tasks), concurrency: 16 }));
    } finally {
      await store.close();
    }
    let best = Infinity;
    let events = 0;
    let size = 0;
    for (let i = 0; i < times; i++) {
      const reopened = openStore(file);
      try {
        const start = performance.now();
        const state = await loadRun(reopened.runs, runId);
        best = Math.min(best, performance.now() - start);
        if (state.status !== 'succeeded') throw new Error(`loaded run is ${state.status}`);
        size = state.tasks.size;
        events = (await reopened.runs.readEvents(runId)).length;
      } finally {
        await reopened.close();
      }
    }
    return { loadMs: best, events, tasks: size };
  });
}

/** A workflow file of a noop chain, ending in a shell task. */
function chainFile(n: number, lastCommand: string): string {
  const lines = ['name: bench-chain', 'tasks:'];
  for (let i = 0; i < n; i++) lines.push(`  - { id: t${i}, type: noop${i > 0 ? `, depends_on: [t${i - 1}]` : ''} }`);
  lines.push(`  - id: last`, `    depends_on: [t${n - 1}]`, `    command: ${JSON.stringify(lastCommand)}`);
  return lines.join('\n') + '\n';
}

export interface ResumeFigures {
  /** Wall time of `baton resume` (start-up, claim, load, leftovers, one tiny task, summary). */
  resumeMs: number;
  exitCode: number | null;
}

/**
 * `baton resume` of an interrupted run of `n` tasks: a chain of noops whose last (shell)
 * task kills its baton with SIGKILL the first time it runs, leaving the run interrupted
 * with n-1 tasks done; the resume runs that last task again (it then just exits 0).
 */
export async function resumeCliMs(baton: string, n: number): Promise<ResumeFigures> {
  return inTempDir('baton-bench-resume-', async (dir) => {
    const flow = path.join(dir, 'chain.yaml');
    const db = path.join(dir, 'baton.db');
    writeFileSync(flow, chainFile(n - 1, `if [ -e ${dir}/killed ]; then exit 0; fi; : > ${dir}/killed; kill -9 $PPID; sleep 5`));
    const env = { ...process.env, BATON_HOME: path.join(dir, 'home'), NO_COLOR: '1' };
    const first = spawnSync(process.execPath, [baton, 'run', flow, '--store', db, '--view', 'none'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    if (first.signal !== 'SIGKILL') throw new Error(`the run was meant to be killed by its last task; it ended ${first.status}: ${first.stderr}`);
    const store = openStore(db);
    const runId = await store.runs
      .listRuns({ limit: 1 })
      .then((runs) => runs[0]?.id)
      .finally(() => store.close());
    if (!runId) throw new Error(`no run in ${db}: ${first.stderr}`);
    const start = performance.now();
    const resume = spawnSync(process.execPath, [baton, 'resume', runId, '--store', db, '--view', 'none'], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
    const resumeMs = performance.now() - start;
    if (resume.status !== 0) throw new Error(`baton resume exited ${resume.status}: ${resume.stderr}`);
    return { resumeMs, exitCode: resume.status };
  });
}

export interface RssFigures {
  /** Peak RSS (VmHWM) of baton running a task that prints one line. */
  baselineMb: number;
  /** Peak RSS of baton while its task prints `bytes` of output. */
  peakMb: number;
  seconds: number;
  /** Bytes of the log file the output went to. */
  loggedBytes: number;
}

/** Runs `baton run` on a one-task workflow in `dir`; peak RSS of the baton process (VmHWM, sampled). */
async function batonPeakRss(baton: string, dir: string, command: string): Promise<{ peakKb: number; ms: number }> {
  const flow = path.join(dir, `flow-${Date.now()}.yaml`);
  writeFileSync(flow, `name: bench-output\ntasks:\n  - id: talk\n    command: ${JSON.stringify(command)}\n`);
  const env = { ...process.env, BATON_HOME: path.join(dir, 'home'), NO_COLOR: '1' };
  const start = performance.now();
  const child = spawn(process.execPath, [baton, 'run', flow, '--store', path.join(dir, 'baton.db'), '--view', 'none'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.resume();
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let peakKb = 0;
  let ended = false;
  void done.then(() => (ended = true));
  while (!ended) {
    try {
      // VmHWM: the most this process has ever had resident, so a missed sample loses nothing.
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // Exited meanwhile.
    }
    await sleep(20);
  }
  const code = await done;
  if (code !== 0) throw new Error(`baton run exited ${code}: ${stderr}`);
  return { peakKb, ms: performance.now() - start };
}

/** Peak RSS of baton while a task prints `bytes` of 100-character lines, against a one-line task. */
export async function outputRss(baton: string, bytes: number): Promise<RssFigures | undefined> {
  if (process.platform !== 'linux') return undefined;
  return inTempDir('baton-bench-rss-', async (dir) => {
    const base = await batonPeakRss(baton, dir, 'echo hello');
    const big = await batonPeakRss(baton, dir, `head -c ${bytes} /dev/zero | tr '\\0' 'x' | fold -w 100`);
    const du = spawnSync('du', ['-sb', path.join(dir, 'logs')], { encoding: 'utf8' });
    const loggedBytes = Number(du.stdout.split('\t')[0]) || 0;
    return { baselineMb: base.peakKb / 1024, peakMb: big.peakKb / 1024, seconds: big.ms / 1000, loggedBytes };
  });
}
