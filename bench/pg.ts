/**
 * `npm run bench:pg`: baton's workers on PostgreSQL side by side with graphile-worker,
 * pg-boss and DBOS Transact, on the same server in one run, each in a fresh schema dropped
 * afterwards (docs/benchmarks.md). Machines are small and noisy: read the ratios, not the
 * absolute numbers. `npm run bench:pg -- latency` runs only the sections named (SECTIONS).
 * BATON_BENCH_POSTGRES names the server (default postgres://root@127.0.0.1:5432/test).
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startupMedians } from './startup.js';
import { BENCH_URL, serverSettings } from './pg/database.js';
import { batonThroughput, graphileThroughput, pgBossThroughput, type Throughput } from './pg/throughput.js';
import { batonStepsInProcess, batonStepsOnWorker, dbosSteps } from './pg/steps.js';
import { SLOW_MS, submitLatency, type Percentiles } from './pg/latency.js';

// This file runs bundled from dist/bench/; the worker scripts beside it, in dist/bench/pg/.
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const script = (name: string) => path.join(here, 'pg', `${name}.js`);
const baton = path.join(root, 'bin', 'baton.js');

const rows: string[][] = [['measure', 'value', 'baseline', 'ratio', 'target', '']];
/** `met`: whether the target is met; left blank for figures that are only reported. */
const row = (name: string, value: string, baseline = '', ratio = '', target = '', met?: boolean) => {
  rows.push([name, value, baseline, ratio, target, met === undefined ? '' : met ? 'met' : 'MISSED']);
  process.stderr.write(`  ${name}: ${value}${baseline ? ` (${baseline})` : ''}\n`);
};
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const perSecond = (t: Throughput) => `${thousands(t.tasksPerSecond)}/s`;
/** How many times faster `ours` is than `theirs` (times per unit: lower is faster), said the other way round when it is slower. */
const faster = (ours: number, theirs: number) => (theirs >= ours ? `${(theirs / ours).toFixed(2)}x faster` : `${(ours / theirs).toFixed(2)}x slower`);

const SECTIONS = ['throughput', 'steps', 'latency'] as const;
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(SECTIONS as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(`no bench:pg section ${unknown.join(', ')}: name some of ${SECTIONS.join(', ')}, or none to run them all\n`);
  process.exit(2);
}
const wanted = (section: (typeof SECTIONS)[number]) => asked.length === 0 || asked.includes(section);

const version = (name: string) => (JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
const graphile = `graphile-worker ${version('graphile-worker')}`;
const pgBoss = `pg-boss ${version('pg-boss')}`;
const dbos = `DBOS ${version('@dbos-inc/dbos-sdk')}`;

const server = await serverSettings();
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${(totalmem() / 1024 ** 3).toFixed(1)} GB, Node ${process.version}`;
const setup = `PostgreSQL ${server.version} at ${new URL(BENCH_URL).host}: synchronous_commit=${server.synchronousCommit}, fsync=${server.fsync}, shared_buffers=${server.sharedBuffers}, max_connections=${server.maxConnections}`;
process.stderr.write(`${setup}\n${machine}\n${graphile}, ${pgBoss}, ${dbos}\n`);
// With commits that do not wait for the disk, every side's figures describe another system.
if (server.synchronousCommit !== 'on') {
  process.stderr.write(`bench:pg measures durable commits: synchronous_commit is ${server.synchronousCommit}; set it to on (ALTER SYSTEM SET synchronous_commit = on; SELECT pg_reload_conf())\n`);
  process.exit(2);
}

if (wanted('throughput')) {
  const TASKS = 10_000;
  const figures = new Map<number, { baton: Throughput; graphile: Throughput; pgBoss: Throughput }>();
  for (const processes of [1, 2, 4]) {
    const workers = `${processes} worker process${processes === 1 ? '' : 'es'}`;
    process.stderr.write(`${thousands(TASKS)} no-op tasks, ${workers}...\n`);
    const batonFigure = await batonThroughput(baton, TASKS, processes);
    const graphileFigure = await graphileThroughput(script('graphile-worker-process'), TASKS, processes);
    const pgBossFigure = await pgBossThroughput(script('pg-boss-process'), TASKS, processes);
    figures.set(processes, { baton: batonFigure, graphile: graphileFigure, pgBoss: pgBossFigure });
    const versus = (peer: Throughput, name: string) =>
      row(
        `  against ${name.split(' ')[0]}`,
        perSecond(batonFigure),
        `${perSecond(peer)} ${name}`,
        (batonFigure.tasksPerSecond / peer.tasksPerSecond).toFixed(2) + 'x',
        '>= 1x',
        batonFigure.tasksPerSecond >= peer.tasksPerSecond,
      );
    row(
      `10k no-op tasks, ${workers} (concurrency 64 each), tasks/s`,
      perSecond(batonFigure),
      `${(batonFigure.ms / 1000).toFixed(2)} s submit to done; baton run process ${((batonFigure.cliMs ?? 0) / 1000).toFixed(2)} s`,
      '',
      processes === 4 ? '>= 2,000/s' : '(reported)',
      processes === 4 ? batonFigure.tasksPerSecond >= 2_000 : undefined,
    );
    versus(graphileFigure, graphile);
    versus(pgBossFigure, pgBoss);
  }
  const scaling = (side: 'baton' | 'graphile' | 'pgBoss') => figures.get(4)![side].tasksPerSecond / figures.get(1)![side].tasksPerSecond;
  row(
    '10k no-op tasks, scaling 4 vs 1 worker processes',
    `${scaling('baton').toFixed(2)}x baton`,
    `${scaling('graphile').toFixed(2)}x graphile-worker; ${scaling('pgBoss').toFixed(2)}x pg-boss`,
    '',
    '(reported; 2 cores)',
  );
}

if (wanted('steps')) {
  const STEPS = 1000;
  const RUNS = 3;
  process.stderr.write(`${thousands(STEPS)} sequential durable steps: baton in process, baton on a worker, DBOS...\n`);
  const inProcess = await batonStepsInProcess(STEPS, RUNS);
  const onWorker = await batonStepsOnWorker(baton, STEPS, RUNS);
  const dbosMs = await dbosSteps(script('dbos-steps-process'), STEPS, RUNS);
  const against = (name: string, ms: number) =>
    row(name, ms.toFixed(3), `${dbosMs.toFixed(3)} ${dbos}`, faster(ms, dbosMs), '>= 2x faster', dbosMs / ms >= 2);
  against('1k sequential steps, baton in process (as --local), ms/step', inProcess);
  against('1k sequential steps, baton driven by a worker (RunStarted to RunSucceeded), ms/step', onWorker.msPerStep);
  row('  baton run flow.ts submitted to the worker, whole process, ms/step', onWorker.cliMsPerStep.toFixed(3), `${dbosMs.toFixed(3)} ${dbos}`, faster(onWorker.cliMsPerStep, dbosMs), '(reported)');
}

if (wanted('latency')) {
  const SAMPLES = 50;
  process.stderr.write(`submit to done of a one-task run with an idle worker, ${SAMPLES} runs each way...\n`);
  const latency = await submitLatency(baton, SAMPLES);
  const nodeMs = startupMedians({ node: ['-e', '0'] }, 15).node;
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  const spread = (p: Percentiles, extra = '') => `p99 ${ms(p.p99)}; ${p.slow} of ${latency.samples} over ${SLOW_MS} ms${extra}`;
  row('one-task run, idle worker: baton run (whole process), p50', ms(latency.cli.p50), spread(latency.cli, ` beyond the median; node -e 0 ${ms(nodeMs)}`), '', '< 10 ms', latency.cli.p50 < 10);
  row('  the same runs as recorded (RunCreated to RunSucceeded), p50', ms(latency.recorded.p50), spread(latency.recorded), '', '< 10 ms', latency.recorded.p50 < 10);
  row('  in process through the store API (submit and follow), p50', ms(latency.inProcess.p50), spread(latency.inProcess), '', '< 10 ms', latency.inProcess.p50 < 10);
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
process.stdout.write(`\n${setup}\n${machine}\n\n` + rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n') + '\n');
