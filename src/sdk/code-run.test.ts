import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunState } from '../engine/state.js';
import { loadRun } from '../engine/resume.js';
import { continueRun, runWorkflow } from '../engine/runner.js';
import type { StepProgram } from '../engine/steps/program.js';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { Store } from '../store/store.js';
import type { Context } from './context.js';
import { functionProgram } from './programs.js';
import { describeWorkflow, workflow } from './workflow.js';

const OWNER = { host: 'test', pid: 1, started_at: 1 };

function codeRun(store: Store, fn: (ctx: Context, inputs: Record<string, unknown>) => unknown, inputs: Record<string, unknown> = {}, runId?: string) {
  const definition = workflow({ name: 'flow', inputs: { n: { type: 'number', default: 3 } } }, fn as never);
  const wf = describeWorkflow(definition, '/tmp/flow.ts');
  return runWorkflow({
    store,
    owner: OWNER,
    workflow: wf,
    inputs,
    runId,
    code: { language: 'js', file: '/tmp/flow.ts', sha256: 'x', text: '' },
    programs: async (_code, state) => functionProgram(definition, state),
  });
}

describe('code runs (in process)', () => {
  it('records steps as tasks and returns their JSON results', async () => {
    const store = createMemoryStore();
    const { state } = await codeRun(store, async (ctx, inputs) => {
      const a = await ctx.step('a', () => ({ when: new Date(0) }));
      const items = await ctx.map('m', ['x', 'y', 'z'], { concurrency: 2 }, (item) => item.toUpperCase());
      const again = await ctx.step('a', () => 2);
      return ctx.summary(`${JSON.stringify(a)} ${items.join('')} ${again} ${inputs.n}`);
    });
    expect(state.status).toBe('succeeded');
    expect(state.summary).toBe('{"when":"1970-01-01T00:00:00.000Z"} XYZ 2 3');
    const tasks = await store.runs.listTasks(state.runId);
    expect(tasks.map((t) => [t.key, t.status])).toEqual([
      ['a', 'succeeded'],
      ['m', 'succeeded'],
      ['m[x]', 'succeeded'],
      ['m[y]', 'succeeded'],
      ['m[z]', 'succeeded'],
      ['a#2', 'succeeded'],
    ]);
  });

  it('replays recorded steps on resume and runs only the rest', async () => {
    const store = createMemoryStore();
    const calls: string[] = [];
    let crash = true;
    const fn = async (ctx: Context) => {
      await ctx.step('one', () => calls.push('one'));
      await ctx.step('two', () => {
        calls.push('two');
        if (crash) throw Object.assign(new Error('boom'), { retryable: false });
      });
      return 'done';
    };
    const first = await codeRun(store, fn);
    expect(first.state.status).toBe('failed');
    expect(first.state.runError?.message).toContain('step two failed: boom');
    crash = false;
    // retry: reopen what failed and go on
    const { tasksToReopen } = await import('../engine/reopen.js');
    const state = await loadRun(store.runs, first.runId);
    const definition = workflow({ name: 'flow' }, fn);
    await continueRun(state, { store, owner: OWNER, programs: async (_c, s) => functionProgram(definition, s) }, { resumed: false, reopen: { type: 'RunReopened', tasks: tasksToReopen(state) } });
    expect(state.status).toBe('succeeded');
    expect(state.result).toBe('done');
    expect(calls).toEqual(['one', 'two', 'two']);
  });

  it('fails a step whose result is over the limit, naming it and the size', async () => {
    const store = createMemoryStore();
    const { state } = await codeRun(store, async (ctx) => {
      await ctx.step('big', () => 'x'.repeat(2 * 1024 * 1024));
    });
    expect(state.status).toBe('failed');
    expect(state.runError?.code).toBe('STEP_RESULT_TOO_LARGE');
    expect(state.runError?.message).toMatch(/step big .*2 MiB.*1 MiB/);
  });

  it('runs at most --concurrency steps at once', async () => {
    const store = createMemoryStore();
    let now = 0;
    let most = 0;
    const definition = workflow({ name: 'c' }, async (ctx) =>
      ctx.map('m', [1, 2, 3, 4, 5, 6], { concurrency: 6 }, async () => {
        most = Math.max(most, ++now);
        await new Promise((resolve) => setTimeout(resolve, 5));
        now--;
      }),
    );
    const { state } = await runWorkflow({ store, owner: OWNER, concurrency: 2, workflow: describeWorkflow(definition, '/tmp/c.ts'), code: { language: 'js', file: '/tmp/c.ts', sha256: 'x', text: '' }, programs: async (_c, s) => functionProgram(definition, s) });
    expect(state.status).toBe('succeeded');
    expect(most).toBe(2);
  });

  it('retries a step by its policy', async () => {
    const store = createMemoryStore();
    let tries = 0;
    const { state } = await codeRun(store, async (ctx) => ctx.step('flaky', { retry: { attempts: 3, delay: 1 } }, () => {
      if (++tries < 3) throw new Error('not yet');
      return tries;
    }));
    expect(state.status).toBe('succeeded');
    expect(state.result).toBe(3);
  });

  it('runs a workflow file as a child run and returns its outputs; a retry goes on with the same child', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-child-'));
    writeFileSync(path.join(dir, 'child.yaml'), 'name: child\ninputs:\n  who: {type: string}\ntasks:\n  - id: greet\n    command: echo "hello ${{ inputs.who }}" && test -f ' + path.join(dir, 'ok') + '\n    outputs:\n      said: ${{ result.exit_code }}\n');
    const store = createMemoryStore();
    const definition = workflow({ name: 'parent' }, async (ctx) => ctx.run('child.yaml', { who: 'world' }));
    const programs = async (_c: unknown, s: RunState) => functionProgram(definition, s);
    const first = await runWorkflow({ store, owner: OWNER, workflow: describeWorkflow(definition, path.join(dir, 'p.ts')), baseDir: dir, code: { language: 'js', file: path.join(dir, 'p.ts'), sha256: 'x', text: '' }, programs });
    expect(first.state.status).toBe('failed');
    expect(first.state.runError?.code).toBe('RUN_CHILD_FAILED');
    const childId = first.state.nodes.get('child.yaml')!.step!.child!;
    expect((await store.runs.getRun(childId))?.status).toBe('failed');
    writeFileSync(path.join(dir, 'ok'), '');
    const { tasksToReopen } = await import('../engine/reopen.js');
    const state = await loadRun(store.runs, first.runId);
    await continueRun(state, { store, owner: OWNER, programs }, { resumed: false, reopen: { type: 'RunReopened', tasks: tasksToReopen(state) } });
    expect(state.status).toBe('succeeded');
    expect(state.result).toEqual({ run_id: childId, status: 'succeeded', outputs: { greet: { said: 0, stdout: 'hello world' } } });
    expect((await store.runs.listRuns()).length).toBe(2);
  });

  it('fails with the determinism error when a resumed run asks for another step', async () => {
    const store = createMemoryStore();
    const program = (order: string[]): StepProgram => ({
      async run(host) {
        for (const key of order) await host.step(key, {}, () => (key === 'b' && order[1] === 'b' ? new Promise(() => {}) : key));
        return {};
      },
    });
    const wf = describeWorkflow(workflow({ name: 'flow' }, async () => {}), '/tmp/flow.ts');
    const interrupt = new AbortController();
    const running = runWorkflow({ store, owner: OWNER, workflow: wf, interrupt: interrupt.signal, code: { language: 'js', file: '/tmp/f.ts', sha256: 'x', text: '' }, programs: async () => program(['a', 'b']) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    interrupt.abort();
    await expect(running).rejects.toThrow(/interrupted/);
    const runId = (await store.runs.listRuns())[0].id;
    const state = await loadRun(store.runs, runId);
    await continueRun(state, { store, owner: OWNER, programs: async () => program(['a', 'c']) }, { resumed: true });
    expect(state.status).toBe('failed');
    expect(state.runError?.code).toBe('RUN_NONDETERMINISTIC');
    expect(state.runError?.message).toMatch(/asked for step c.*history has step b/);
  });
});
