/**
 * Figure 3 of `npm run bench:pg`: from submitting a one-task run (a no-op) to knowing it is
 * done, with one idle `baton worker` waiting on the store (LISTEN/NOTIFY), in a fresh
 * schema. Three measures of the same thing, one after another, each with a warm-up:
 *
 * - the CLI: `baton run one.yaml --store postgres://...` as a whole process, as a user
 *   runs it: Node's start-up, opening the store, submitting, following, the summary;
 * - the run itself, from those same runs: RunCreated to RunSucceeded as recorded, which
 *   leaves out the CLI's start-up and its following of the end;
 * - in process, through the store API: createRun for workers and following its events
 *   (runs/submit.ts, what `baton run` does once started), timed from the call to the end
 *   seen, in the benchmark's own process with its store already open.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { submitAndFollow } from '../../src/runs/submit.js';
import { loadWorkflowFile } from '../../src/spec/index.js';
import { openStore } from '../../src/store/open.js';
import { inTempDir } from '../sqlite-overhead.js';
import { batonWorker, cliRun, migrateStore, recordedRun } from './baton-cli.js';
import { batonStoreUrl, inFreshSchema } from './database.js';
import { withWorkers, within } from './processes.js';

export interface Percentiles {
  p50: number;
  p99: number;
  /** Samples over SLOW_MS: a wake-up missed and a poll waited for instead. */
  slow: number;
}

export interface LatencyFigures {
  samples: number;
  cli: Percentiles;
  recorded: Percentiles;
  inProcess: Percentiles;
}

const WARM_UP = 3;
/** Far above what a one-task run costs here (tens of ms, CLI start-up aside), near the 1 s polls behind the notifications. */
export const SLOW_MS = 500;
/** One run of one no-op: anything near this is a stall, not a figure. */
const RUN_TIMEOUT_MS = 30_000;

const ONE_TASK = ['name: bench-one-task', 'tasks:', '  - id: one', '    type: noop', ''].join('\n');

/** Nearest rank: the value at or below which `p` of the samples fall. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

const percentiles = (values: number[], over = 0): Percentiles => ({
  p50: percentile(values, 0.5),
  p99: percentile(values, 0.99),
  slow: values.filter((v) => v - over > SLOW_MS).length,
});

export async function submitLatency(baton: string, samples: number): Promise<LatencyFigures> {
  return inTempDir('baton-bench-pg-latency-', (dir) =>
    inFreshSchema('bench_baton_latency', async (schema) => {
      const store = batonStoreUrl(schema);
      const file = path.join(dir, 'one.yaml');
      writeFileSync(file, ONE_TASK);
      await migrateStore(store);
      return withWorkers(1, () => batonWorker(baton, store, dir, 'baton worker (idle)'), async () => {
        const oneTask = (state: { tasks: Map<string, { status: string }> }) => (state.tasks.get('one')?.status === 'succeeded' ? undefined : 'task one did not succeed');
        const cli: number[] = [];
        const recorded: number[] = [];
        for (let i = 0; i < WARM_UP + samples; i++) {
          const run = await cliRun(baton, file, store, dir, RUN_TIMEOUT_MS);
          const { createdToEndMs } = await recordedRun(store, run.runId, 'baton run one.yaml', oneTask);
          if (i < WARM_UP) continue;
          cli.push(run.ms);
          recorded.push(createdToEndMs);
        }
        const inProcess = await inProcessLatency(file, store, dir, samples);
        // The CLI's own start-up is counted out of its slow ones by its median.
        const cliFigures = percentiles(cli);
        return { samples, cli: { ...cliFigures, slow: percentiles(cli, cliFigures.p50).slow }, recorded: percentiles(recorded), inProcess: percentiles(inProcess) };
      });
    }),
  );
}

/** submitAndFollow through one open store, `samples` times after a warm-up; ms each. */
async function inProcessLatency(file: string, location: string, dir: string, samples: number): Promise<number[]> {
  const loaded = await loadWorkflowFile(file);
  if (!loaded.workflow) throw new Error(`${file} is not a valid workflow: ${loaded.diagnostics.map((d) => d.message).join('; ')}`);
  const store = openStore(location);
  try {
    const times: number[] = [];
    for (let i = 0; i < WARM_UP + samples; i++) {
      const start = performance.now();
      const { runId, state } = await within(
        RUN_TIMEOUT_MS,
        'a one-task run submitted through the store API',
        submitAndFollow({ store, workflow: loaded.workflow, source: { file, sha256: loaded.sha256! }, baseDir: dir, queue: 'default' }),
      );
      const ms = performance.now() - start;
      if (state.status !== 'succeeded') throw new Error(`a one-task run submitted through the store API (${runId}) ended ${state.status}`);
      if (i >= WARM_UP) times.push(ms);
    }
    return times;
  } finally {
    await store.close();
  }
}
