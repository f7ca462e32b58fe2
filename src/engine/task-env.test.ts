/**
 * What the engine hands shell and script tasks: one environment object for every task
 * without an `environment:` of its own (a copy of ~50 variables per task was most of what
 * a run of short tasks left for the garbage collector), and a scratch folder made once
 * per run, which exists when a task reads it and is gone when the run ends.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Executor, TaskIO } from '../executors/types.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import { runWorkflow } from './runner.js';
import { shell, workflow } from './test-dsl.js';

describe('engine: task environment and scratch folder', () => {
  it('shares one environment between tasks without their own, and layers a task environment on top', async () => {
    const seen = new Map<string, { env: Record<string, string>; scratch: string; scratchExisted: boolean }>();
    const recorder: Executor = {
      run(_task, io: TaskIO) {
        const scratch = io.scratchDir;
        seen.set(io.taskKey, { env: io.env, scratch, scratchExisted: existsSync(scratch) });
        return Promise.resolve({ outputs: {}, exit_code: 0 });
      },
    };
    const scratchRoot = mkdtempSync(path.join(tmpdir(), 'baton-scratch-'));
    await runWorkflow({
      store: createMemoryStore(),
      workflow: workflow(
        [shell('a', 'true'), shell('b', 'true', { depends_on: ['a'] }), shell('c', 'true', { depends_on: ['a'], environment: { ONLY_C: 'c', SHARED: 'task' } })],
        { environment: { SHARED: 'workflow', FROM_WORKFLOW: 'w' } },
      ),
      processEnv: { FROM_PROCESS: 'p', SHARED: 'process' },
      env: { FROM_FLAG: 'f' },
      executors: () => recorder,
      scratchRoot,
    });

    const [a, b, c] = ['a', 'b', 'c'].map((key) => seen.get(key)!);
    expect(a.env).toBe(b.env);
    expect(a.env).toEqual({ FROM_PROCESS: 'p', SHARED: 'workflow', FROM_WORKFLOW: 'w', FROM_FLAG: 'f' });
    expect(c.env).toEqual({ FROM_PROCESS: 'p', SHARED: 'task', FROM_WORKFLOW: 'w', FROM_FLAG: 'f', ONLY_C: 'c' });
    expect(a.env).not.toHaveProperty('ONLY_C');

    // One folder for the run, there when a task reads it, removed when the run ends.
    expect(new Set([a.scratch, b.scratch, c.scratch]).size).toBe(1);
    expect(path.dirname(a.scratch)).toBe(scratchRoot);
    expect([a, b, c].every((t) => t.scratchExisted)).toBe(true);
    expect(existsSync(a.scratch)).toBe(false);
  });
});
