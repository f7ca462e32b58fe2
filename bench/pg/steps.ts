/**
 * Figure 2 of `npm run bench:pg`: a durable workflow of sequential no-op steps on the same
 * PostgreSQL server, baton's TypeScript SDK against DBOS Transact. Each step is recorded
 * (committed, synchronous_commit on) before the next begins, on both sides; the figure is
 * the wall time of a whole workflow divided by its steps, nothing subtracted. baton is
 * measured two ways, each in a fresh schema:
 *
 * - in process: the code run driven by the process that starts it, as `baton run flow.ts
 *   --local` drives it (engine runWorkflow with the SDK's function program), which is how
 *   DBOS runs a workflow: in the application's process;
 * - by a worker: `baton run flow.ts --store postgres://...` as a whole process submits the
 *   run and one `baton worker` drives it (its steps run inside the worker); per step from
 *   the run's RunStarted to its RunSucceeded, with the CLI's whole wall time beside it.
 *
 * DBOS runs in a child process of its own (dbos-steps-process.ts).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runWorkflow } from '../../src/engine/runner.js';
import type { RunState } from '../../src/engine/state.js';
import type { Context } from '../../src/sdk/context.js';
import { functionProgram } from '../../src/sdk/programs.js';
import { describeWorkflow, workflow } from '../../src/sdk/workflow.js';
import { openStore } from '../../src/store/open.js';
import { currentOwner } from '../../src/store/ownership.js';
import { inTempDir } from '../sqlite-overhead.js';
import { batonWorker, cliRun, migrateStore, recordedRun } from './baton-cli.js';
import { batonStoreUrl, BENCH_URL, inFreshSchema } from './database.js';
import { withWorkers } from './processes.js';

/** Generous: a step costs a few ms here; a hang fails loudly instead. */
const TIMEOUT_MS = (steps: number, runs: number) => 60_000 + steps * runs * 100;

const expectedSum = (steps: number) => (steps * (steps - 1)) / 2;

/** The run did every step and returned their sum: else what is wrong. */
function allSteps(state: RunState, steps: number): string | undefined {
  const succeeded = [...state.tasks.values()].filter((task) => task.status === 'succeeded').length;
  if (succeeded !== steps) return `${succeeded} succeeded steps, expected ${steps}`;
  if (state.result !== expectedSum(steps)) return `result ${JSON.stringify(state.result)}, expected ${expectedSum(steps)}`;
  return undefined;
}

/** Steps `s0`, `s1`, ... one after another, as dbos-steps-process.ts and bench/restate-steps.ts have them. */
function stepsWorkflow(steps: number) {
  return workflow({ name: `bench-pg-steps-${steps}` }, async (ctx: Context) => {
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += await ctx.step(`s${i}`, () => i);
    return sum;
  });
}

/** The best of `runs` in-process code runs on a fresh PostgreSQL store (after a warm-up), in ms per step. */
export async function batonStepsInProcess(steps: number, runs: number): Promise<number> {
  return inTempDir('baton-bench-pg-steps-', (dir) =>
    inFreshSchema('bench_baton_steps', async (schema) => {
      const store = openStore(batonStoreUrl(schema));
      const definition = stepsWorkflow(steps);
      const file = path.join(dir, 'flow.ts');
      const once = async () => {
        const start = performance.now();
        const { state } = await runWorkflow({
          store,
          owner: currentOwner(),
          workflow: describeWorkflow(definition, file),
          baseDir: dir,
          code: { language: 'js', file, sha256: 'bench', text: '' },
          programs: async (_code, runState) => functionProgram(definition, runState),
        });
        const ms = performance.now() - start;
        const wrong = state.status === 'succeeded' ? allSteps(state, steps) : `the run ended ${state.status}: ${state.runError?.message ?? ''}`;
        if (wrong !== undefined) throw new Error(`in-process code run of ${steps} steps on PostgreSQL: ${wrong}`);
        return ms;
      };
      try {
        await once(); // warm-up (and the schema's migration)
        let best = Infinity;
        for (let r = 0; r < runs; r++) best = Math.min(best, await once());
        return best / steps;
      } finally {
        await store.close();
      }
    }),
  );
}

/** flow.ts as a user writes it, the same steps as stepsWorkflow. */
function flowFile(steps: number): string {
  return `import { workflow } from 'baton';

export default workflow({ name: 'bench-pg-steps-${steps}' }, async (ctx) => {
  let sum = 0;
  for (let i = 0; i < ${steps}; i++) sum += await ctx.step(\`s\${i}\`, () => i);
  return sum;
});
`;
}

export interface WorkerStepFigures {
  /** The run's RunStarted to RunSucceeded, best of the runs, in ms per step. */
  msPerStep: number;
  /** `baton run flow.ts` from spawn to exit (submit, bundling, following), best of the runs, in ms per step. */
  cliMsPerStep: number;
}

/** `baton run flow.ts` submitted to one idle `baton worker`, which drives it; best of `runs` after a warm-up. */
export async function batonStepsOnWorker(baton: string, steps: number, runs: number): Promise<WorkerStepFigures> {
  return inTempDir('baton-bench-pg-flow-', (dir) =>
    inFreshSchema('bench_baton_flow', async (schema) => {
      const store = batonStoreUrl(schema);
      const flow = path.join(dir, 'flow.ts');
      writeFileSync(flow, flowFile(steps));
      await migrateStore(store);
      return withWorkers(1, () => batonWorker(baton, store, dir, 'baton worker (steps)'), async () => {
        const once = async () => {
          const run = await cliRun(baton, flow, store, dir, TIMEOUT_MS(steps, 1));
          const recorded = await recordedRun(store, run.runId, `baton run flow.ts (${steps} steps) on a worker`, (state) => allSteps(state, steps));
          return { ms: recorded.startedToEndMs, cliMs: run.ms };
        };
        await once(); // warm-up
        let best = { ms: Infinity, cliMs: Infinity };
        for (let r = 0; r < runs; r++) {
          const { ms, cliMs } = await once();
          best = { ms: Math.min(best.ms, ms), cliMs: Math.min(best.cliMs, cliMs) };
        }
        return { msPerStep: best.ms / steps, cliMsPerStep: best.cliMs / steps };
      });
    }),
  );
}

/** DBOS Transact, the same workflow in its own process on a fresh schema: the best of `runs`, in ms per step. */
export async function dbosSteps(script: string, steps: number, runs: number): Promise<number> {
  return inFreshSchema('bench_dbos', async (schema) => {
    const child = spawn(process.execPath, [script, BENCH_URL, schema, String(steps), String(runs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    const timeoutMs = TIMEOUT_MS(steps, runs + 1);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number | null>((resolve) => child.once('close', (exit) => resolve(exit)));
    clearTimeout(timer);
    if (child.signalCode === 'SIGKILL') throw new Error(`DBOS steps: no end within ${timeoutMs / 1000} s, killed; its stderr ends:\n${stderr}`);
    const line = stdout.trim().split('\n').pop() ?? '';
    let ms: number[] | undefined;
    try {
      ms = (JSON.parse(line) as { ms?: number[] }).ms;
    } catch {
      // Said below.
    }
    if (code !== 0 || !ms || ms.length === 0) throw new Error(`DBOS steps exited ${code} without its figures: ${line.slice(0, 300)}\n${stderr}`);
    return Math.min(...ms) / steps;
  });
}
