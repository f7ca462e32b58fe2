import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { leftoverGroups, stopLeftoverProcesses } from './leftovers.js';
import { isAlive, waitFor } from './test-support.js';

const started: number[] = [];

/** A process tree in its own group, as a task of a dead baton would leave it. */
function orphan(env: Record<string, string>, script = 'sleep 30 & sleep 30; wait'): number {
  const child = spawn('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '', ...env }, detached: true, stdio: 'ignore' });
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

describe.runIf(process.platform === 'linux')('leftover processes of a run', () => {
  it('finds and stops the process groups carrying the run id, children included, and nothing else', async () => {
    const run = `TESTRUN${Date.now()}`;
    const mine = orphan({ BATON_RUN_ID: run });
    const other = orphan({ BATON_RUN_ID: `${run}X` });
    const lookalike = orphan({ NOT_BATON_RUN_ID: run });
    await waitFor(() => leftoverGroups(run).length === 1, 5000);
    expect(leftoverGroups(run)).toEqual([mine]);
    const stopped = await stopLeftoverProcesses(run, 2000);
    expect(stopped).toEqual([mine]);
    await waitFor(() => !isAlive(mine), 5000);
    expect(leftoverGroups(run)).toEqual([]);
    expect(isAlive(other)).toBe(true);
    expect(isAlive(lookalike)).toBe(true);
  });

  it('SIGKILLs a group that ignores SIGTERM once the grace is over', async () => {
    const run = `TESTRUN${Date.now()}B`;
    // It says when its trap is set: on a busy machine the group shows before the shell has run a line.
    const ready = path.join(mkdtempSync(path.join(tmpdir(), 'baton-leftovers-')), 'trapped');
    const stubborn = orphan({ BATON_RUN_ID: run, READY: ready }, "trap '' TERM; : > \"$READY\"; sleep 30 & wait; sleep 30");
    await waitFor(() => existsSync(ready) && leftoverGroups(run).length === 1, 5000);
    const before = Date.now();
    await stopLeftoverProcesses(run, 300);
    expect(Date.now() - before).toBeGreaterThanOrEqual(250);
    await waitFor(() => !isAlive(stubborn), 5000);
  });
});
