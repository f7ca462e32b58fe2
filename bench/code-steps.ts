/**
 * Durable steps in code runs (issue 8, Benchmark): what one `ctx.step` costs when it is
 * recorded in a fresh SQLite file, one after another and through `ctx.map`; the same
 * figure for the whole `baton run flow.ts` process (bundling with esbuild and start-up
 * included, nothing subtracted); baton against Restate on the same sequential workflow
 * (restate-steps.ts); and what `baton step` costs a shell script per call, process start
 * included, against a bare `sh -c` of the same command. Every file goes to a temp folder
 * that is removed afterwards.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRun } from '../src/engine/resume.js';
import { runWorkflow } from '../src/engine/runner.js';
import { functionProgram } from '../src/sdk/programs.js';
import { describeWorkflow, workflow } from '../src/sdk/workflow.js';
import type { Context } from '../src/sdk/context.js';
import { openStore } from '../src/store/open.js';
import { currentOwner } from '../src/store/ownership.js';
import { inTempDir } from './sqlite-overhead.js';

/** The items `ctx.map` runs at once in the map shape (issue 8). */
export const MAP_CONCURRENCY = 50;

export type StepShape = 'sequential' | 'map';

/**
 * The workflow both shapes run: `steps` no-op steps, each returning its index, and the sum
 * of what they returned, so a run that skipped its steps cannot pass for a fast one.
 * Sequential steps are `s0`, `s1`, ... as in restate-steps.ts; the map's are `m[0]`, ...
 */
function stepsWorkflow(steps: number, shape: StepShape) {
  return workflow({ name: `bench-${shape}-${steps}` }, async (ctx: Context) => {
    if (shape === 'map') {
      const items = Array.from({ length: steps }, (_, i) => i);
      const results = await ctx.map('m', items, { concurrency: MAP_CONCURRENCY }, (item) => item);
      return results.reduce((sum, value) => sum + value, 0);
    }
    let sum = 0;
    for (let i = 0; i < steps; i++) sum += await ctx.step(`s${i}`, () => i);
    return sum;
  });
}

const expectedSum = (steps: number) => (steps * (steps - 1)) / 2;

/**
 * One code run of `steps` no-op steps on a fresh SQLite file in `dir`, owned like a CLI run
 * (heartbeat and all): µs per step, from creating the run to its end.
 */
async function codeRunMicrosPerStep(steps: number, shape: StepShape, dir: string): Promise<number> {
  const definition = stepsWorkflow(steps, shape);
  const file = path.join(dir, 'flow.ts');
  const store = openStore(path.join(dir, `code-${shape}-${Date.now()}-${Math.random().toString(36).slice(2)}.db`));
  try {
    const start = process.hrtime.bigint();
    const { state } = await runWorkflow({
      store,
      owner: currentOwner(),
      workflow: describeWorkflow(definition, file),
      baseDir: dir,
      code: { language: 'js', file, sha256: 'bench', text: '' },
      programs: async (_code, runState) => functionProgram(definition, runState),
    });
    const elapsed = Number(process.hrtime.bigint() - start) / 1000;
    if (state.status !== 'succeeded') throw new Error(`code-steps bench run (${shape}, ${steps} steps) ended ${state.status}: ${state.runError?.message ?? ''}`);
    if (state.result !== expectedSum(steps)) throw new Error(`code-steps bench run (${shape}, ${steps} steps) returned ${JSON.stringify(state.result)}, expected ${expectedSum(steps)}`);
    return elapsed / steps;
  } finally {
    await store.close();
  }
}

/** The best of `times` in-process code runs, each on its own fresh database file; µs per step. */
export async function bestCodeSteps(times: number, steps: number, shape: StepShape): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    best = Math.min(best, await inTempDir('baton-bench-code-', (dir) => codeRunMicrosPerStep(steps, shape, dir)));
  }
  return best;
}

/** flow.ts as a user writes it: `steps` sequential no-op steps, returning the sum of their results. */
function flowFile(steps: number): string {
  return `import { workflow } from 'baton';

export default workflow({ name: 'bench-steps-${steps}' }, async (ctx) => {
  let sum = 0;
  for (let i = 0; i < ${steps}; i++) sum += await ctx.step(\`s\${i}\`, () => i);
  return sum;
});
`;
}

export interface CliStepFigures {
  /** Best wall time of `baton run flow.ts --store <file>`, in ms. */
  ms: number;
  /** That time divided by the steps, in µs: start-up and bundling included. */
  usPerStep: number;
}

/** `baton run flow.ts` of `steps` sequential no-op steps as its own process, each run on a fresh SQLite file; the best of `times`. */
export async function cliCodeSteps(baton: string, steps: number, times: number): Promise<CliStepFigures> {
  return inTempDir('baton-bench-code-cli-', async (dir) => {
    const flow = path.join(dir, 'flow.ts');
    writeFileSync(flow, flowFile(steps));
    let best = Infinity;
    for (let r = 0; r < times; r++) {
      const db = path.join(dir, `run-${r}.db`);
      const env = { ...process.env, BATON_HOME: path.join(dir, `home-${r}`), NO_COLOR: '1' };
      const start = performance.now();
      const result = spawnSync(process.execPath, [baton, 'run', flow, '--store', db, '--view', 'none'], { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 << 20 });
      const ms = performance.now() - start;
      if (result.status !== 0) throw new Error(`baton run flow.ts (${steps} steps) exited ${result.status ?? result.signal}: ${result.stderr}`);
      await checkRecorded(db, steps, expectedSum(steps), `baton run flow.ts (${steps} steps)`);
      best = Math.min(best, ms);
    }
    return { ms: best, usPerStep: (best * 1000) / steps };
  });
}

/**
 * The run in `db` recorded `steps` succeeded steps (and, when given, the result their sum
 * makes), so a run that skipped or lost its steps cannot pass for a fast one.
 */
async function checkRecorded(db: string, steps: number, result: number | undefined, what: string): Promise<void> {
  const store = openStore(db);
  try {
    const runs = await store.runs.listRuns({ limit: 2 });
    if (runs.length !== 1) throw new Error(`${what}: expected one run in ${db}, found ${runs.length}`);
    const state = await loadRun(store.runs, runs[0].id);
    const succeeded = [...state.tasks.values()].filter((task) => task.status === 'succeeded').length;
    if (state.status !== 'succeeded' || succeeded !== steps) throw new Error(`${what}: the run is ${state.status} with ${succeeded} succeeded steps, expected ${steps}`);
    if (result !== undefined && state.result !== result) throw new Error(`${what}: result ${JSON.stringify(state.result)}, expected ${result}`);
  } finally {
    await store.close();
  }
}

export interface StepCallFigures {
  /** ms per `baton step s<i> -- true` in a script run by `baton run`, beyond the same script running `true` alone. */
  batonStepMs: number;
  /** ms per `sh -c true` in a bash script, beyond the same script running `true` alone. */
  shMs: number;
}

/**
 * `baton step` per call from a bash script: `calls` lines of `baton step s<i> -- true` in
 * a script run with `baton run script.sh --store <file>`, against the same script with the
 * `baton step s<i> --` prefix removed (so `baton run`'s own start-up and the script's cancel
 * out); the baseline is `sh -c true` from a bash script, against the same script running
 * `true`. The four run interleaved, round after round; each figure is a median.
 */
export async function stepCallMs(baton: string, calls: number, rounds: number): Promise<StepCallFigures> {
  return inTempDir('baton-bench-step-call-', async (dir) => {
    // The script finds `baton` where `baton run` puts it: a shim first on its PATH.
    const env = { ...process.env, NO_COLOR: '1' };
    const script = (name: string, line: (i: number) => string) => {
      const file = path.join(dir, name);
      const lines = ['#!/usr/bin/env bash', 'set -e'];
      for (let i = 0; i < calls; i++) lines.push(line(i));
      writeFileSync(file, lines.join('\n') + '\n', { mode: 0o755 });
      return file;
    };
    const steps = script('steps.sh', (i) => `baton step s${i} -- true`);
    const plain = script('plain.sh', () => 'true');
    const shells = script('shells.sh', () => 'sh -c true');
    const times = { steps: [] as number[], plain: [] as number[], shells: [] as number[], bare: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      const run = async (file: string, tag: string, recorded: number) => {
        const db = path.join(dir, `${tag}-${r}.db`);
        const ms = timed(`baton run ${path.basename(file)}`, process.execPath, [baton, 'run', file, '--store', db, '--view', 'none'], {
          cwd: dir,
          env: { ...env, BATON_HOME: path.join(dir, `home-${tag}-${r}`) },
        });
        await checkRecorded(db, recorded, undefined, `baton run ${path.basename(file)}`);
        return ms;
      };
      times.steps.push(await run(steps, 'steps', calls));
      times.plain.push(await run(plain, 'plain', 0));
      times.shells.push(timed('bash shells.sh', 'bash', [shells], { cwd: dir, env }));
      times.bare.push(timed('bash plain.sh', 'bash', [plain], { cwd: dir, env }));
    }
    return {
      batonStepMs: (median(times.steps) - median(times.plain)) / calls,
      shMs: (median(times.shells) - median(times.bare)) / calls,
    };
  });
}

function timed(what: string, program: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): number {
  const start = performance.now();
  const result = spawnSync(program, args, { ...options, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${what} exited ${result.status ?? result.signal}: ${result.stderr}${result.stdout}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
