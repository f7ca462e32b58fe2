import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { groupHasLiveMembers, killAllProcessGroups, liveProcessGroups } from './process-group.js';
import { createShellExecutor } from './shell.js';
import { isAlive, rejection, shellTask, testIO, waitFor, type RecordingIO } from './test-support.js';

const task = shellTask;

/** Pids the command wrote, one per line, to the file `pids` in the workflow folder. */
function pids(io: RecordingIO): number[] {
  const file = join(io.baseDir, 'pids');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number);
}

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
});

describe('process groups', () => {
  it('on abort, kills the whole group (children and grandchildren) and rejects with EXEC_ABORTED', async () => {
    const io = testIO();
    const controller = new AbortController();
    const command = [
      'echo $$ >> pids',
      'sleep 30 & echo $! >> pids',
      "sh -c 'sleep 30 & echo $! >> pids; wait' &",
      'sleep 30 & echo $! >> pids',
      'wait',
    ].join('\n');
    const running = createShellExecutor().run(task(command), io, controller.signal);
    await waitFor(() => pids(io).length === 4);
    started.push(...pids(io));
    expect(pids(io).every(isAlive)).toBe(true);

    const reason = new Error('timed out after 1s');
    controller.abort(reason);
    const err = await rejection(running);
    expect(err).toMatchObject({ code: 'EXEC_ABORTED' });
    expect(err.cause).toBe(reason);
    await waitFor(() => pids(io).every((pid) => !isAlive(pid)), 2_000);
    expect(liveProcessGroups()).toEqual([]);
  });

  it('SIGKILLs a group that ignores SIGTERM once the grace period is over', async () => {
    const io = testIO();
    const controller = new AbortController();
    const command = "trap '' TERM; echo $$ >> pids; sleep 30 & echo $! >> pids; while :; do sleep 0.05; done";
    const running = createShellExecutor({ killGraceMs: 300 }).run(task(command), io, controller.signal);
    await waitFor(() => pids(io).length === 2);
    started.push(...pids(io));

    const t0 = Date.now();
    controller.abort('cancelled');
    const err = await rejection(running);
    const elapsed = Date.now() - t0;
    expect(err).toMatchObject({ code: 'EXEC_ABORTED', cause: 'cancelled' });
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(3_000);
    await waitFor(() => pids(io).every((pid) => !isAlive(pid)), 2_000);
  });

  it('settles at once when aborted before it starts, without spawning', async () => {
    const io = testIO();
    const controller = new AbortController();
    controller.abort('cancelled');
    const err = await rejection(createShellExecutor().run(task('echo $$ > pids'), io, controller.signal));
    expect(err).toMatchObject({ code: 'EXEC_ABORTED', cause: 'cancelled' });
    expect(existsSync(join(io.baseDir, 'pids'))).toBe(false);
  });

  it('stops what a finished task left running in the background', async () => {
    const io = testIO();
    const command = 'sleep 30 & echo $! >> pids; sleep 30 > /dev/null 2>&1 & echo $! >> pids; echo started';
    const t0 = Date.now();
    const result = await createShellExecutor({ killGraceMs: 5_000 }).run(task(command), io, new AbortController().signal);
    started.push(...pids(io));
    expect(result).toMatchObject({ exit_code: 0, outputs: { stdout: 'started' } });
    expect(Date.now() - t0).toBeLessThan(2_000); // SIGTERM was enough: no waiting out the grace
    await waitFor(() => pids(io).every((pid) => !isAlive(pid)), 2_000);
  });

  it('does not wait for the grace period when nothing is left behind', async () => {
    const t0 = Date.now();
    const executor = createShellExecutor({ killGraceMs: 10_000 });
    await executor.run(task('sleep 0.05 & wait; echo ok'), testIO(), new AbortController().signal);
    // An orphan that already exited may stay a zombie when PID 1 does not reap: not alive.
    await executor.run(task('(sleep 0.05 &); sleep 0.3; echo ok'), testIO(), new AbortController().signal);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('killAllProcessGroups signals every running task, for the CLI exit path', async () => {
    const io = testIO();
    const running = createShellExecutor().run(task('echo $$ >> pids; sleep 30 & echo $! >> pids; wait'), io, new AbortController().signal);
    await waitFor(() => pids(io).length === 2);
    started.push(...pids(io));
    expect(liveProcessGroups()).toContain(pids(io)[0]);

    expect(killAllProcessGroups('SIGKILL')).toBe(1);
    const err = await rejection(running);
    expect(err).toMatchObject({ code: 'EXEC_SIGNAL', retryable: true });
    await waitFor(() => pids(io).every((pid) => !isAlive(pid)), 2_000);
    expect(groupHasLiveMembers(pids(io)[0])).toBe(false);
  });
});
