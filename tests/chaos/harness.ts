/**
 * Fault injection with real processes: a baton driving a run is killed with SIGKILL at a
 * (seeded) random moment, the store it leaves behind is read directly, and `baton resume`
 * must finish the run without running again what had already been recorded as done.
 *
 * Everything a test writes lives in a temp folder of its own (workflow, marker file, SQLite
 * store, logs); it is removed when the iteration passes and kept (and named) when it fails.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { batonAsync, tempDir, until, type CliResult } from '../helpers.js';

// ---------------------------------------------------------------------------------------
// Randomness that can be replayed

/** mulberry32: a small, fast PRNG; the same seed gives the same sequence. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seeds of this test run: BATON_CHAOS_SEED replays one (then BATON_CHAOS_RUNS defaults
 * to 1), otherwise they start from a fresh random seed. BATON_CHAOS_RUNS sets how many.
 */
export function chaosSeeds(env: NodeJS.ProcessEnv = process.env, defaultRuns = 5): number[] {
  const given = env.BATON_CHAOS_SEED;
  const runs = positiveInt(env.BATON_CHAOS_RUNS) ?? (given !== undefined ? 1 : defaultRuns);
  const first = given !== undefined && /^\d+$/.test(given) ? Number(given) >>> 0 : Math.floor(Math.random() * 2 ** 31);
  return Array.from({ length: runs }, (_, i) => (first + i) >>> 0);
}

function positiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}

export const replayHint = (seed: number) => `chaos seed ${seed} (replay: BATON_CHAOS_SEED=${seed} npx vitest run tests/chaos)`;

// ---------------------------------------------------------------------------------------
// Workflows

/** A test folder: the workflow file, the marker file its tasks append to, the store. */
export interface Sandbox {
  dir: string;
  file: string;
  marks: string;
  db: string;
  /** Keys of every shell task the run should end up running. */
  leaves: string[];
}

/** The line each task appends when it starts: `<key> <phase> <attempt> <ms since epoch>`. */
export const MARK = 'echo "$BATON_TASK $PHASE $BATON_ATTEMPT $(date +%s%3N)" >> "$MARKS"';
/** The line a task appends as its last act: the same, then `end`. */
export const END = 'echo "$BATON_TASK $PHASE $BATON_ATTEMPT $(date +%s%3N) end" >> "$MARKS"';

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** Writes a workflow (an object in the canonical format) into a fresh sandbox. */
export function sandbox(workflow: Record<string, unknown>, leaves: string[]): Sandbox {
  const dir = tempDir('baton-chaos-');
  const marks = path.join(dir, 'marks.txt');
  const file = path.join(dir, 'flow.yaml');
  const env = { MARKS: marks, FLAGS: dir, ...(workflow.environment as Record<string, string> | undefined) };
  writeFileSync(file, stringify({ ...workflow, environment: env }));
  return { dir, file, marks, db: path.join(dir, 'baton.db'), leaves };
}

export interface ChaosFlow extends Sandbox {
  /** Roughly how long an undisturbed run takes here (ms), for picking the kill moment. */
  expectedMs: number;
}

/**
 * About 30 tasks: a start task, a parallel fan-out of 8, a chain of 8, a task that fails
 * its first attempt and is retried, a loop over 4 items one at a time, a join, a chain of
 * 4 after it and a final parallel pair. Every shell task marks, then sleeps 20-200 ms
 * (chosen by `rand`), so that a kill lands while some are running.
 */
export function chaosFlow(rand: () => number): ChaosFlow {
  const nap = () => 20 + Math.floor(rand() * 180);
  const leaves: string[] = [];
  let critical = 0;
  const shell = (id: string | undefined, extra: Record<string, unknown> = {}) => {
    const ms = nap();
    if (id !== undefined) leaves.push(id);
    return { ...(id !== undefined ? { id } : {}), type: 'shell', command: `${MARK}\nsleep ${seconds(ms)}\n${END}`, ...extra, _ms: ms };
  };
  const strip = (t: ReturnType<typeof shell>) => {
    const { _ms: _, ...rest } = t;
    return rest;
  };
  const tasks: Record<string, unknown>[] = [];
  const start = shell('start');
  critical += start._ms;
  tasks.push(strip(start));

  const fan = Array.from({ length: 8 }, (_, i) => shell(`fan-${i + 1}`));
  tasks.push({ id: 'fan', type: 'parallel', depends_on: ['start'], tasks: fan.map(strip) });

  let chainMs = 0;
  for (let i = 1; i <= 8; i++) {
    const t = shell(`c${i}`, { depends_on: [i === 1 ? 'start' : `c${i - 1}`] });
    chainMs += t._ms;
    tasks.push(strip(t));
  }

  leaves.push('flaky');
  tasks.push({
    id: 'flaky',
    type: 'shell',
    depends_on: ['start'],
    // Fails its first attempt ever (the flag file outlives a kill, as a real side effect would).
    command: `${MARK}\nif [ ! -e "$FLAGS/flaky.once" ]; then : > "$FLAGS/flaky.once"; sleep 0.05; echo "first attempt fails" >&2; exit 1; fi\nsleep 0.1\n${END}`,
    retry: { attempts: 3, delay: '200ms' },
  });

  const items = ['a', 'b', 'c', 'd'];
  const iteration = shell(undefined);
  for (const item of items) leaves.push(`each[${item}]`);
  tasks.push({ id: 'each', type: 'loop', depends_on: ['start'], items, parallel: false, task: strip(iteration) });
  const loopMs = items.length * iteration._ms;

  const join = shell('join', { depends_on: ['fan', 'c8', 'flaky', 'each'] });
  tasks.push(strip(join));
  critical += Math.max(chainMs, loopMs, 400, ...fan.map((t) => t._ms)) + join._ms;
  for (let i = 1; i <= 4; i++) {
    const t = shell(`d${i}`, { depends_on: [i === 1 ? 'join' : `d${i - 1}`] });
    critical += t._ms;
    tasks.push(strip(t));
  }
  const final = [shell('final-1'), shell('final-2')];
  tasks.push({ id: 'final', type: 'parallel', depends_on: ['d4'], tasks: final.map(strip) });
  critical += Math.max(...final.map((t) => t._ms));

  // Each task on the critical path also costs a process start and a store commit or two.
  const expectedMs = critical + 16 * 40;
  return { ...sandbox({ name: 'chaos', tasks }, leaves), expectedMs };
}

// ---------------------------------------------------------------------------------------
// Reading the store the way a post-mortem would: the file, read-only

export interface EventRow {
  seq: number;
  type: string;
  at: number;
  task?: string;
  attempt?: number;
  at_due?: number;
  [field: string]: unknown;
}

export interface RunRow {
  id: string;
  status: string;
  owner_pid: number | null;
  cancel_requested: string | null;
}

/** Opens the store read-only, or undefined while it does not exist yet (or is not set up yet). */
export function openDb(file: string, options: { readonly?: boolean } = {}): Database.Database | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const db = new Database(file, { readonly: options.readonly ?? true, fileMustExist: true, timeout: 5_000 });
    return db;
  } catch {
    return undefined;
  }
}

/** The runs in a store file (none while it does not exist or has no tables yet). */
export function readRuns(file: string): RunRow[] {
  const db = openDb(file);
  if (!db) return [];
  try {
    return db.prepare('SELECT id, status, owner_pid, cancel_requested FROM runs ORDER BY id').all() as RunRow[];
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** The events of a run, in order, as stored. */
export function readEvents(file: string, runId: string): EventRow[] {
  const db = openDb(file);
  if (!db) return [];
  try {
    const rows = db.prepare('SELECT seq, data FROM events WHERE run_id = ? ORDER BY seq').all(runId) as { seq: number; data: string }[];
    return rows.map((row) => ({ ...(JSON.parse(row.data) as EventRow), seq: row.seq }));
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** The one run of a sandbox's store. */
export function onlyRun(file: string): RunRow | undefined {
  const runs = readRuns(file);
  if (runs.length > 1) throw new Error(`expected one run in ${file}, found ${runs.length}`);
  return runs[0];
}

export function integrityCheck(file: string): string {
  // Read-write: a kill during the store's first transaction (before it switches to WAL)
  // leaves a hot rollback journal, which SQLite rolls back on the next open as any reader
  // would; a read-only connection cannot, and answers "attempt to write a readonly database".
  const db = openDb(file, { readonly: false });
  if (!db) return `cannot open ${file}`;
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------
// The marker file

export interface Mark {
  key: string;
  phase: string;
  attempt: number;
  at: number;
  /** An END line (the command got to its end), not a start. */
  end: boolean;
}

export function readMarks(file: string): Mark[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [key, phase, attempt, at, end] = line.split(' ');
      return { key, phase, attempt: Number(attempt), at: Number(at), end: end === 'end' };
    });
}

// ---------------------------------------------------------------------------------------
// Processes

/**
 * Live (not zombie) processes carrying BATON_RUN_ID=<runId> in their environment: the
 * task processes of that run and their children, wherever they were reparented to.
 */
export function processesOfRun(runId: string): number[] {
  const marker = Buffer.from(`BATON_RUN_ID=${runId}\0`);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`);
      const at = environ.indexOf(marker);
      if (at < 0 || (at > 0 && environ[at - 1] !== 0)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
      if (state !== 'Z' && state !== 'X') pids.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return pids;
}

/** Waits (a short while) for a run's processes to be gone; describes those still there. */
export async function leftoversAfter(runId: string, graceMs = 2_000): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = processesOfRun(runId);
    if (left.length === 0 || Date.now() > deadline) return left.map(describeProcess);
    await sleep(50);
  }
}

function describeProcess(pid: number): string {
  try {
    return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()})`;
  } catch {
    return String(pid);
  }
}

/** Kills what a failed test left of a run, so one failure does not disturb the next test. */
export function killRunProcesses(runId: string): void {
  for (const pid of processesOfRun(runId)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** SIGKILLs a baton and waits until it is gone. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await exited(child);
}

type Started = ReturnType<typeof batonAsync>;

/** Starts a baton with PHASE set (`run` or `resume`), cwd the sandbox. */
export function startBaton(box: Sandbox, args: string[], phase: string): Started {
  return batonAsync(args, { cwd: box.dir, env: { PHASE: phase } });
}

export function startRun(box: Sandbox): Started {
  return startBaton(box, ['run', box.file, '--store', box.db, '--view', 'plain'], 'run');
}

export function startResume(box: Sandbox, runId: string): Started {
  return startBaton(box, ['resume', runId, '--store', box.db, '--view', 'plain'], 'resume');
}

/** Waits for a CLI to finish, killing it (and failing) after `ms`. */
export async function finish(started: Started, ms: number, what: string): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      started.child.kill('SIGKILL');
      reject(new Error(`${what} did not finish within ${ms} ms; output so far:\n${started.output()}`));
    }, ms);
  });
  try {
    return await Promise.race([started.done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the plain view says the run started; returns its id. */
export async function runStarted(started: Started, ms = 20_000): Promise<string> {
  let id: string | undefined;
  await until(
    () => {
      id = /run ([0-9A-Z]{26}) started/.exec(started.output())?.[1];
      return id !== undefined || started.child.exitCode !== null;
    },
    ms,
    'the run to start',
  );
  if (id === undefined) throw new Error(`baton ended before the run started:\n${started.output()}`);
  return id;
}

/** Polls the store until `check` holds for the run's events; returns them. */
export async function untilEvents(db: string, runId: string, check: (events: EventRow[]) => boolean, ms: number, what: string): Promise<EventRow[]> {
  let events: EventRow[] = [];
  await until(
    () => {
      events = readEvents(db, runId);
      return check(events);
    },
    ms,
    what,
  );
  return events;
}

export const ofTask = (events: EventRow[], task: string, type?: string) =>
  events.filter((e) => e.task === task && (type === undefined || e.type === type));

export function removeSandbox(box: Sandbox): void {
  rmSync(box.dir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------
// One random kill and its resume

export interface IterationReport {
  seed: number;
  runId: string;
  /** When the kill came: after the run started, or (`during start-up`) after baton was started. */
  killAfterMs: number;
  duringStartup: boolean;
  /** The kill came before baton recorded the run at all. */
  nothingRecorded: boolean;
  /** The run had already ended when the kill came. */
  finishedBeforeKill: boolean;
  succeededBeforeKill: number;
  resumeExit: number | null;
}

/**
 * Runs the chaos workflow, kills baton at a random moment, resumes the run, and checks what
 * must hold afterwards. Throws (with the seed and the outputs) on the first thing that does
 * not. Most kills land while the run goes (50 ms to its expected length after it started);
 * one in five lands during start-up (10-250 ms after baton was started: opening or creating
 * the store, recording the run), where there may be nothing to resume: then the store must
 * still be readable and take a new run.
 */
export async function killAndResume(seed: number): Promise<IterationReport> {
  const rand = prng(seed);
  const flow = chaosFlow(rand);
  const duringStartup = rand() < 0.2;
  const killAfterMs = duringStartup ? Math.round(10 + rand() * 240) : Math.round(50 + rand() * Math.max(0, flow.expectedMs - 50));
  let runId = '';
  const transcript: string[] = [];
  const fail = (message: string): never => {
    const when = duringStartup ? `${killAfterMs} ms after baton started` : `${killAfterMs} ms after the run started (of ~${flow.expectedMs} ms)`;
    throw new Error(`${message}\n${replayHint(seed)}; killed ${when}; run ${runId}; sandbox kept at ${flow.dir}\n` + transcript.join('\n'));
  };
  try {
    const run = startRun(flow);
    if (!duringStartup) await runStarted(run);
    await sleep(killAfterMs);
    await killHard(run.child);
    transcript.push(`--- baton run (killed) ---\n${run.output()}`);

    const before = onlyRun(flow.db);
    if (!before) {
      if (!duringStartup) fail('no run recorded, although the view said it started');
      await checkUsableAfterEarlyKill(flow, fail, transcript);
      removeSandbox(flow);
      return { seed, runId, killAfterMs, duringStartup, nothingRecorded: true, finishedBeforeKill: false, succeededBeforeKill: 0, resumeExit: null };
    }
    runId = before.id;
    const viewed = /run ([0-9A-Z]{26}) started/.exec(run.output())?.[1];
    if (viewed !== undefined && viewed !== runId) fail(`the store holds run ${runId}, the view said ${viewed}`);
    const eventsBefore = readEvents(flow.db, runId);
    const doneBefore = new Set(eventsBefore.filter((e) => e.type === 'TaskSucceeded').map((e) => e.task!));
    const finishedBeforeKill = before.status !== 'running' && before.status !== 'pending';

    const resume = await finish(startResume(flow, runId), 60_000, 'baton resume');
    transcript.push(`--- baton resume (exit ${resume.status}) ---\n${resume.stdout}${resume.stderr}`);
    if (finishedBeforeKill) {
      if (resume.status !== 2 || !resume.stderr.includes('RUN_FINISHED')) fail(`the run had finished (${before.status}); resume should say RUN_FINISHED and exit 2`);
    } else if (resume.status !== 0) {
      fail(`baton resume exited ${resume.status}`);
    }

    const after = onlyRun(flow.db);
    if (after?.status !== 'succeeded') fail(`the run ended ${after?.status}, not succeeded`);
    const events = readEvents(flow.db, runId);
    events.forEach((e, i) => e.seq !== i + 1 && fail(`event ${i + 1} has seq ${e.seq}: the log has a gap`));
    const successes = new Map<string, number>();
    for (const e of events) if (e.type === 'TaskSucceeded') successes.set(e.task!, (successes.get(e.task!) ?? 0) + 1);
    for (const [task, n] of successes) if (n > 1) fail(`${task} succeeded ${n} times in the log`);

    const all = readMarks(flow.marks);
    const marks = all.filter((m) => !m.end);
    const ran = new Set(marks.map((m) => m.key));
    const ended = new Set(all.filter((m) => m.end).map((m) => m.key));
    const missing = flow.leaves.filter((key) => !ran.has(key));
    if (missing.length > 0) fail(`never ran: ${missing.join(', ')}`);
    for (const key of flow.leaves) if (!successes.has(key)) fail(`${key} has no TaskSucceeded`);
    for (const key of flow.leaves) if (!ended.has(key)) fail(`${key} succeeded, yet no attempt of its command got to its end`);
    const rerun = marks.filter((m) => m.phase === 'resume' && doneBefore.has(m.key)).map((m) => m.key);
    if (rerun.length > 0) fail(`ran again after resume although recorded as succeeded before the kill: ${rerun.join(', ')}`);

    const integrity = integrityCheck(flow.db);
    if (integrity !== 'ok') fail(`PRAGMA integrity_check: ${integrity}`);
    const left = await leftoversAfter(runId);
    if (left.length > 0) fail(`processes of the run still alive: ${left.join(', ')}`);

    removeSandbox(flow);
    return {
      seed,
      runId,
      killAfterMs,
      duringStartup,
      nothingRecorded: false,
      finishedBeforeKill,
      succeededBeforeKill: doneBefore.size,
      resumeExit: resume.status,
    };
  } catch (err) {
    if (runId) killRunProcesses(runId);
    if (err instanceof Error && err.message.includes(replayHint(seed))) throw err;
    return fail(err instanceof Error ? (err.stack ?? err.message) : String(err));
  }
}

/**
 * Baton was killed before it recorded the run: nothing ran, the store (if the file got
 * created at all) is intact and lists no run, and a new run on it succeeds.
 */
async function checkUsableAfterEarlyKill(flow: ChaosFlow, fail: (message: string) => never, transcript: string[]): Promise<void> {
  const marks = readMarks(flow.marks);
  if (marks.length > 0) fail(`tasks ran although no run was recorded: ${marks.map((m) => m.key).join(', ')}`);
  if (existsSync(flow.db)) {
    const integrity = integrityCheck(flow.db);
    if (integrity !== 'ok' && !integrity.startsWith('cannot open')) fail(`PRAGMA integrity_check: ${integrity}`);
  }
  const history = await finish(startBaton(flow, ['history', '--store', flow.db, '--json'], 'history'), 30_000, 'baton history');
  transcript.push(`--- baton history (exit ${history.status}) ---\n${history.stdout}${history.stderr}`);
  if (history.status !== 0) fail(`baton history on the store left by the kill exited ${history.status}`);
  if ((JSON.parse(history.stdout) as unknown[]).length !== 0) fail('baton history lists a run no event recorded');
  const again = await finish(startRun(flow), 60_000, 'a new baton run on the same store');
  transcript.push(`--- baton run again (exit ${again.status}) ---\n${again.stdout}${again.stderr}`);
  if (again.status !== 0) fail(`a new run on the store left by the kill exited ${again.status}`);
  if (onlyRun(flow.db)?.status !== 'succeeded') fail('the new run is not recorded as succeeded');
  if (integrityCheck(flow.db) !== 'ok') fail(`PRAGMA integrity_check after the new run: ${integrityCheck(flow.db)}`);
}
