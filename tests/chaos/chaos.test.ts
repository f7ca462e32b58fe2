/**
 * Fault tests with real processes and real kills (harness.ts). `npm test` runs 5 random
 * kills; `npm run test:chaos` runs 50. A failure names its seed: replay it with
 * BATON_CHAOS_SEED=<seed> npx vitest run tests/chaos
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { baton, until } from '../helpers.js';
import {
  chaosSeeds,
  END,
  exited,
  finish,
  integrityCheck,
  killAndResume,
  killHard,
  killRunProcesses,
  leftoversAfter,
  MARK,
  ofTask,
  onlyRun,
  prng,
  processesOfRun,
  readEvents,
  readMarks,
  removeSandbox,
  replayHint,
  runStarted,
  sandbox,
  startBaton,
  startResume,
  startRun,
  untilEvents,
  type Sandbox,
} from './harness.js';

/** Generous for two slow cores: a run here takes 1-3 s, its resume as long again. */
const ITERATION_MS = 45_000;
const SPECIAL_MS = 40_000;

/** What each special test leaves: removed when it passes, killed and kept when it fails. */
interface Current {
  box: Sandbox;
  runId?: string;
  passed: boolean;
}
let current: Current | undefined;
afterEach(() => {
  if (!current) return;
  if (current.runId) killRunProcesses(current.runId);
  if (current.passed) removeSandbox(current.box);
  else process.stderr.write(`chaos: sandbox kept at ${current.box.dir}\n`);
  current = undefined;
});
const track = (box: Sandbox): Current => (current = { box, passed: false });
const passed = () => current && (current.passed = true);

const seeds = chaosSeeds();

describe('chaos: SIGKILL at a random moment, then baton resume', () => {
  it.each(seeds)('seed %i', async (seed) => {
    const report = await killAndResume(seed);
    const when = report.duringStartup ? `${report.killAfterMs} ms after baton started` : `${report.killAfterMs} ms after the run started`;
    const what = report.nothingRecorded
      ? 'nothing recorded yet; the store took a new run'
      : `${report.succeededBeforeKill} tasks recorded succeeded${report.finishedBeforeKill ? ' (the run had already finished)' : ''}; resume exit ${report.resumeExit}`;
    process.stderr.write(`chaos seed ${seed}: killed ${when}, ${what}\n`);
    if (!report.nothingRecorded) expect(report.runId).toMatch(/^[0-9A-Z]{26}$/);
  }, ITERATION_MS);
});

describe('chaos: kills at chosen moments', () => {
  // One seed for the random parts of these tests, printed when one fails.
  const seed = seeds[0];
  const rand = prng(seed ^ 0x5eed);
  const because = (what: string) => `${what}\n${replayHint(seed)}`;

  it('kill during a retry back-off: the retry comes no earlier than its recorded due time', async () => {
    const box = sandbox(
      {
        name: 'backoff',
        tasks: [
          { id: 'pre', command: `${MARK}\nsleep 0.05` },
          {
            id: 'flaky',
            depends_on: ['pre'],
            command: `${MARK}\nif [ ! -e "$FLAGS/once" ]; then : > "$FLAGS/once"; exit 1; fi`,
            retry: { attempts: 3, delay: '2s', jitter: 0 },
          },
          { id: 'after', depends_on: ['flaky'], command: MARK },
        ],
      },
      ['pre', 'flaky', 'after'],
    );
    const t = track(box);
    const run = startRun(box);
    const runId = (t.runId = await runStarted(run));
    const waiting = await untilEvents(
      box.db,
      runId,
      (events) => {
        const scheduled = ofTask(events, 'flaky', 'TaskRetryScheduled').at(-1);
        return scheduled !== undefined && !events.some((e) => e.seq > scheduled.seq && e.task === 'flaky' && (e.type === 'TaskReady' || e.type === 'TaskStarted'));
      },
      20_000,
      'flaky to be waiting for its retry',
    );
    const scheduled = ofTask(waiting, 'flaky', 'TaskRetryScheduled').at(-1)!;
    await sleep(Math.round(rand() * 400));
    await killHard(run.child);
    const atKill = readEvents(box.db, runId);
    expect(ofTask(atKill, 'flaky', 'TaskStarted').length, because('the kill came after the back-off')).toBe(1);
    const resumedAt = Date.now();
    expect(resumedAt, because('the resume starts within the back-off')).toBeLessThan(scheduled.at_due!);

    const resume = await finish(startResume(box, runId), 30_000, 'baton resume');
    expect(resume.status, because(resume.stdout + resume.stderr)).toBe(0);
    const events = readEvents(box.db, runId);
    const second = ofTask(events, 'flaky', 'TaskStarted').find((e) => e.attempt === 2);
    expect(second, because('the retry ran')).toBeDefined();
    expect(second!.at, because('retry started before its due time')).toBeGreaterThanOrEqual(scheduled.at_due!);
    const mark = readMarks(box.marks).find((m) => m.key === 'flaky' && m.attempt === 2 && !m.end);
    expect(mark?.phase).toBe('resume');
    expect(mark!.at, because('the retry process ran before its due time')).toBeGreaterThanOrEqual(scheduled.at_due!);
    expect(onlyRun(box.db)?.status).toBe('succeeded');
    expect(readMarks(box.marks).filter((m) => m.key === 'pre').map((m) => m.phase)).toEqual(['run']);
    expect(integrityCheck(box.db)).toBe('ok');
    passed();
  }, SPECIAL_MS);

  it('kill during a sleep task: what follows it waits until the sleep was due', async () => {
    const box = sandbox(
      {
        name: 'timer',
        tasks: [
          { id: 'pre', command: MARK },
          { id: 'nap', type: 'sleep', duration: '2s', depends_on: ['pre'] },
          { id: 'after', depends_on: ['nap'], command: MARK },
        ],
      },
      ['pre', 'after'],
    );
    const t = track(box);
    const run = startRun(box);
    const runId = (t.runId = await runStarted(run));
    const started = await untilEvents(box.db, runId, (events) => ofTask(events, 'nap', 'TaskStarted').length > 0, 20_000, 'the sleep to start');
    const due = ofTask(started, 'nap', 'TaskStarted')[0].at + 2_000;
    await sleep(200 + Math.round(rand() * 1_000));
    await killHard(run.child);
    expect(ofTask(readEvents(box.db, runId), 'nap', 'TaskSucceeded'), because('the kill came during the sleep')).toHaveLength(0);

    const resume = await finish(startResume(box, runId), 30_000, 'baton resume');
    expect(resume.status, because(resume.stdout + resume.stderr)).toBe(0);
    const events = readEvents(box.db, runId);
    expect(ofTask(events, 'nap', 'TaskSucceeded')[0].at, because('the sleep ended early')).toBeGreaterThanOrEqual(due);
    const after = readMarks(box.marks).filter((m) => m.key === 'after');
    expect(after.map((m) => m.phase)).toEqual(['resume']);
    expect(after[0].at, because('the task after the sleep ran before the sleep was due')).toBeGreaterThanOrEqual(due);
    expect(onlyRun(box.db)?.status).toBe('succeeded');
    expect(integrityCheck(box.db)).toBe('ok');
    passed();
  }, SPECIAL_MS);

  it('kill while a task streams output: the logs hold both attempts', async () => {
    const lines = 300;
    const box = sandbox(
      {
        name: 'stream',
        tasks: [
          {
            id: 'talk',
            // A line every ~5 ms for ~1.5 s.
            command: `${MARK}\ni=0\nwhile [ $i -lt ${lines} ]; do i=$((i + 1)); echo "line $i $PHASE"; sleep 0.005; done`,
          },
        ],
      },
      ['talk'],
    );
    const t = track(box);
    const run = startRun(box);
    const runId = (t.runId = await runStarted(run));
    const logDir = path.join(box.dir, 'logs');
    const logged = () => {
      // Count lines in the attempt's log file (under <dir of db>/logs/<run>/) without assuming its exact name.
      if (!existsSync(logDir)) return 0;
      let n = 0;
      for (const dir of readdirSync(logDir, { recursive: true, withFileTypes: true })) {
        if (dir.isFile() && dir.name.endsWith('.log')) n += readFileSync(path.join(dir.parentPath, dir.name), 'utf8').split('\n').length;
      }
      return n;
    };
    await until(() => logged() > 30 + Math.round(rand() * 60), 20_000, 'output in the log');
    await killHard(run.child);
    expect(ofTask(readEvents(box.db, runId), 'talk', 'TaskSucceeded'), because('the kill came mid-way')).toHaveLength(0);

    const resume = await finish(startResume(box, runId), 30_000, 'baton resume');
    expect(resume.status, because(resume.stdout + resume.stderr)).toBe(0);
    expect(onlyRun(box.db)?.status).toBe('succeeded');

    const logs = baton(['logs', runId, '--store', box.db, '--json'], { cwd: box.dir });
    expect(logs.status, logs.stderr).toBe(0);
    const read = logs.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { task: string; attempt: number; stream: string; text: string });
    const first = read.filter((l) => l.attempt === 1).map((l) => l.text);
    const second = read.filter((l) => l.attempt === 2).map((l) => l.text);
    expect(first.length, because('the first attempt was cut short')).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(lines);
    expect(first.every((text, i) => text === `line ${i + 1} run`), because(first.join('\n'))).toBe(true);
    expect(second).toEqual(Array.from({ length: lines }, (_, i) => `line ${i + 1} resume`));
    const files = readdirSync(logDir, { recursive: true }).map(String).filter((f) => f.endsWith('.log'));
    expect(files.length, because(files.join(', '))).toBeGreaterThanOrEqual(2);
    expect(integrityCheck(box.db)).toBe('ok');
    passed();
  }, SPECIAL_MS);

  it('baton cancel from another process: the owner ends cancelled within ~2 s, exit 130, nothing left running', async () => {
    const box = sandbox(
      {
        name: 'cancel-me',
        tasks: [
          { id: 'busy', type: 'parallel', tasks: [1, 2, 3].map((i) => ({ id: `busy-${i}`, command: `${MARK}\nsleep 30` })) },
          { id: 'after', depends_on: ['busy'], command: MARK },
        ],
      },
      [],
    );
    const t = track(box);
    const run = startRun(box);
    const runId = (t.runId = await runStarted(run));
    await untilEvents(box.db, runId, (events) => events.filter((e) => e.type === 'TaskStarted' && e.task?.startsWith('busy-')).length === 3, 20_000, 'the tasks to start');
    await until(() => processesOfRun(runId).length >= 3, 10_000, 'the task processes');

    const cancel = startBaton(box, ['cancel', runId, '--store', box.db], 'cancel');
    await until(() => onlyRun(box.db)?.cancel_requested != null || cancel.child.exitCode !== null, 20_000, 'the cancel request');
    const requested = Date.now();
    const code = await Promise.race([exited(run.child), sleep(10_000).then(() => 'still running')]);
    const took = Date.now() - requested;
    if (code === 'still running') await killHard(run.child);
    expect(code, because(run.output())).toBe(130);
    expect(took, because('the owner took too long to cancel')).toBeLessThan(2_500);
    expect(onlyRun(box.db)?.status).toBe('cancelled');
    const cancelled = await finish(cancel, 20_000, 'baton cancel');
    expect(cancelled.status, cancelled.stdout + cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`run ${runId} cancelled`);
    expect(await leftoversAfter(runId, 1_000)).toEqual([]);
    expect(readMarks(box.marks).some((m) => m.key === 'after')).toBe(false);
    expect(integrityCheck(box.db)).toBe('ok');
    passed();
  }, SPECIAL_MS);

  it('two baton resume of one interrupted run at once: exactly one drives it, the other says who holds it', async () => {
    const box = sandbox(
      {
        name: 'contested',
        tasks: [
          // Long enough that the killed run's copies are still going when the resumers start.
          { id: 'slow', type: 'parallel', tasks: [1, 2, 3].map((i) => ({ id: `slow-${i}`, command: `${MARK}\nsleep 3\n${END}` })) },
          { id: 'after', depends_on: ['slow'], command: MARK },
        ],
      },
      ['slow-1', 'slow-2', 'slow-3', 'after'],
    );
    const t = track(box);
    const run = startRun(box);
    const runId = (t.runId = await runStarted(run));
    await untilEvents(box.db, runId, (events) => events.filter((e) => e.type === 'TaskStarted' && e.task?.startsWith('slow-')).length === 3, 20_000, 'the tasks to start');
    await until(() => processesOfRun(runId).length >= 3, 10_000, 'the task processes');
    await killHard(run.child);
    expect(processesOfRun(runId).length, because('the killed run leaves its tasks running')).toBeGreaterThan(0);

    const a = startResume(box, runId);
    const b = startResume(box, runId);
    const [ra, rb] = await Promise.all([finish(a, 30_000, 'first baton resume'), finish(b, 30_000, 'second baton resume')]);
    const results = [
      { pid: a.child.pid!, ...ra },
      { pid: b.child.pid!, ...rb },
    ];
    const winners = results.filter((r) => r.status === 0);
    const losers = results.filter((r) => r.status !== 0);
    const all = results.map((r) => `--- pid ${r.pid} exit ${r.status}\n${r.stdout}${r.stderr}`).join('\n');
    expect(winners, because(all)).toHaveLength(1);
    expect(losers, because(all)).toHaveLength(1);
    expect(losers[0].stderr, because(all)).toContain('RUN_HELD');
    expect(losers[0].stderr, because(all)).toContain(`pid ${winners[0].pid}`);
    expect(onlyRun(box.db)?.status).toBe('succeeded');
    // Each task ran once after the kill, not once per resumer.
    const marks = readMarks(box.marks);
    for (const key of box.leaves) {
      expect(marks.filter((m) => m.key === key && m.phase === 'resume' && !m.end), because(key)).toHaveLength(1);
    }
    // The resumer stopped what the killed run left running before running those tasks again.
    expect(marks.filter((m) => m.phase === 'run' && m.end), because(readFileSync(box.marks, 'utf8'))).toEqual([]);
    expect(await leftoversAfter(runId)).toEqual([]);
    expect(integrityCheck(box.db)).toBe('ok');
    passed();
  }, SPECIAL_MS);
});
