/**
 * `baton logs --follow` and `baton status --watch` against a run this test drives by hand:
 * it writes output and events into a real SQLite store step by step, and checks that the
 * CLI (another process) shows each step and stops when the run ends.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { TimedEvent } from '../src/store/events.js';
import { newRunId } from '../src/store/ids.js';
import { openStore } from '../src/store/open.js';
import { currentOwner } from '../src/store/ownership.js';
import type { Store } from '../src/store/store.js';
import { BATON, batonAsync, tempDir, until } from './helpers.js';
import { dbIn, workflowOf } from './runs-fixture.js';

/** A run owned by this (live) process, started, with task `tick` running. */
async function liveRun(): Promise<{ db: string; store: Store; id: string; emit: (...events: TimedEvent[]) => Promise<void> }> {
  const db = dbIn(tempDir());
  const store = openStore(db);
  const id = newRunId();
  const at = Date.now();
  await store.runs.createRun({ id, workflow: 'ticker', created_at: at, owner: currentOwner() }, [
    { type: 'RunCreated', workflow: workflowOf('name: ticker\ntasks:\n  - id: tick\n    command: "true"\n'), inputs: {}, env: {}, at },
    { type: 'RunStarted', at },
    { type: 'TaskReady', task: 'tick', at },
  ]);
  const emit = async (...events: TimedEvent[]) => void (await store.runs.append(id, events));
  return { db, store, id, emit };
}

const now = () => Date.now();

describe('baton logs --follow', () => {
  it('prints lines as they are written, and ends once the run has ended and all is printed', async () => {
    const { db, store, id, emit } = await liveRun();
    try {
      await emit({ type: 'TaskStarted', task: 'tick', attempt: 1, at: now() });
      store.logs.write(id, 'tick', 1, 'stdout', 'one\n');
      const follow = batonAsync(['logs', id, '--follow', '--store', db]);
      await until(() => follow.output().includes('one'), 10_000, 'the first line');
      store.logs.write(id, 'tick', 1, 'stdout', 'two\n');
      store.logs.write(id, 'tick', 1, 'stderr', 'careful\n');
      await until(() => follow.output().includes('careful'), 10_000, 'the lines written later');
      // Still following: the run has not ended.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(follow.child.exitCode).toBeNull();
      store.logs.write(id, 'tick', 1, 'stdout', 'three, unfinished line');
      store.logs.end(id, 'tick', 1);
      await emit({ type: 'TaskSucceeded', task: 'tick', attempt: 1, outputs: {}, at: now() }, { type: 'RunSucceeded', at: now() });
      const r = await follow.done;
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('tick | one\ntick | two\ntick ! careful\ntick | three, unfinished line\n');
    } finally {
      await store.close();
    }
  });

  it('Ctrl-C stops following cleanly (exit 130); the run is untouched', async () => {
    const { db, store, id, emit } = await liveRun();
    try {
      await emit({ type: 'TaskStarted', task: 'tick', attempt: 1, at: now() });
      store.logs.write(id, 'tick', 1, 'stdout', 'working\n');
      const follow = batonAsync(['logs', id, 'tick', '--follow', '--store', db]);
      await until(() => follow.output().includes('working'), 10_000, 'the first line');
      follow.child.kill('SIGINT');
      const r = await follow.done;
      expect(r.status).toBe(130);
      expect(r.stdout).toBe('working\n');
      expect(r.stderr).toBe('');
      expect((await store.runs.getRun(id))?.status).toBe('running');
    } finally {
      await store.close();
    }
  });
});

describe('baton status --watch', () => {
  it('without a terminal: the status, then one line per change, then exits like the run', async () => {
    const { db, store, id, emit } = await liveRun();
    try {
      const watch = batonAsync(['status', id.slice(0, 20), '--watch', '--store', db]);
      await until(() => watch.output().includes('tick'), 10_000, 'the first status');
      expect(watch.output()).toMatch(/^ {2}status +running$/m);
      expect(watch.output()).toMatch(/^ {2}owner +\S+ pid \d+$/m);
      await emit({ type: 'TaskStarted', task: 'tick', attempt: 1, at: now() });
      await until(() => /\d\d:\d\d:\d\d\.\d{3} tick running\n/.test(watch.output()), 10_000, 'the change line');
      await emit(
        { type: 'TaskFailed', task: 'tick', attempt: 1, error: { code: 'EXEC_EXIT_CODE', message: 'command exited with code 2', exit_code: 2 }, retryable: false, at: now() },
        { type: 'RunFailed', error: { code: 'RUN_TASKS_FAILED', message: '1 task failed: tick' }, at: now() },
      );
      const r = await watch.done;
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/ tick failed: command exited with code 2 \[EXEC_EXIT_CODE\]\n/);
      expect(r.stdout).toMatch(/ run failed\n/);
      expect(r.stdout).toContain(`Run ${id} ticker: failed in `);
      expect(r.stdout).toContain(`baton retry ${id}`);
    } finally {
      await store.close();
    }
  });

  it('--json --watch prints one document when the run ends; exit 0 when it succeeded', async () => {
    const { db, store, id, emit } = await liveRun();
    try {
      const watch = batonAsync(['status', id, '--watch', '--json', '--store', db]);
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(watch.output()).toBe('');
      await emit(
        { type: 'TaskStarted', task: 'tick', attempt: 1, at: now() },
        { type: 'TaskSucceeded', task: 'tick', attempt: 1, outputs: { n: 1 }, at: now() },
        { type: 'RunSucceeded', at: now() },
      );
      const r = await watch.done;
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ run_id: id, status: 'succeeded', tasks: [{ id: 'tick', status: 'succeeded', outputs: { n: 1 } }] });
    } finally {
      await store.close();
    }
  });

  it('on a terminal: redrawn in place until the run ends', async () => {
    const { db, store, id, emit } = await liveRun();
    try {
      // `script` gives the CLI a real pseudo-terminal.
      const child = spawn('script', ['-qec', `${process.execPath} ${BATON} status ${id} --watch --store ${db}`, '/dev/null'], {
        env: { ...process.env, NO_COLOR: '1' },
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      const done = new Promise<number | null>((resolve) => child.on('close', resolve));
      await until(() => /tick +ready/.test(out), 10_000, 'the first drawing');
      await emit({ type: 'TaskStarted', task: 'tick', attempt: 1, at: now() });
      await until(() => /tick +running/.test(out), 10_000, 'a redraw');
      await emit({ type: 'TaskSucceeded', task: 'tick', attempt: 1, outputs: {}, at: now() }, { type: 'RunSucceeded', at: now() });
      expect(await done).toBe(0);
      // eslint-disable-next-line no-control-regex -- ANSI cursor codes are what this test looks for
      expect(out).toMatch(/\x1b\[\d+A\x1b\[0J/);
      expect(out).toMatch(/status +succeeded/);
      expect(out).not.toMatch(/\d\d:\d\d:\d\d\.\d{3} tick/);
    } finally {
      await store.close();
    }
  });
});
