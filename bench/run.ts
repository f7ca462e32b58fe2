/**
 * `npm run bench`: every figure side by side in one run, with the targets from the
 * issues. Machines are small and noisy: read the ratios, not the absolute numbers.
 * `npm run bench -- auth serve` runs only the sections named (SECTIONS below).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { bareQueueMicrosPerTask, chain, engineMicrosPerTask, fanOut } from './engine-overhead.js';
import { bestSqlite, loadFinishedRunMs, outputRss, resumeCliMs } from './sqlite-overhead.js';
import { bareNodeMs, engineShellMs, xargsMs } from './shell-overhead.js';
import { startupMedians } from './startup.js';
import { LOOP_ITEMS, loopAgainstTasks } from './loop-100k.js';
import { wholeProcessMs } from './whole-process.js';
import { skillSearchFigures } from './skill-search.js';
import { mcpFigures } from './mcp.js';
import { serveFigures } from './serve.js';
import { webhookFigures } from './webhook.js';
import { authFigures } from './auth.js';
import { findErrorsFigures } from './find-errors.js';
import { bestCodeSteps, cliCodeSteps, MAP_CONCURRENCY, stepCallMs } from './code-steps.js';
import { restateMicrosPerStep } from './restate-steps.js';
import { dataProcessorFigures } from './data-processor.js';
import { memoryCircuitFigures, sqliteCircuitFigures } from './circuits.js';
import { metricsFigures } from './metrics.js';
import { monitorFigures } from './monitor.js';
import { observedFigures } from './observability.js';
import { pagingFigures } from './runs-paging.js';
import { memoryCollectorFigures, sqliteCollectorFigures } from './prometheus.js';

// This file runs bundled from dist/bench/.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const rows: string[][] = [['measure', 'value', 'baseline', 'ratio', 'target', '']];
/** `met`: whether the target is met; left blank for figures that are only reported. */
const row = (name: string, value: string, baseline = '', ratio = '', target = '', met?: boolean) => {
  rows.push([name, value, baseline, ratio, target, met === undefined ? '' : met ? 'met' : 'MISSED']);
  process.stderr.write(`  ${name}: ${value}\n`);
};
const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const best = async (times: number, fn: () => Promise<number>) => {
  let min = Infinity;
  for (let i = 0; i < times; i++) min = Math.min(min, await fn());
  return min;
};

const SECTIONS = ['engine', 'sqlite', 'memory', 'loops', 'resume', 'output', 'shell', 'whole-process', 'startup', 'code-steps', 'skill-search', 'mcp', 'serve', 'webhook', 'auth', 'find-errors', 'data-processor', 'circuits', 'monitor', 'metrics', 'observability', 'runs-paging'] as const;
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(SECTIONS as readonly string[]).includes(name));
if (unknown.length > 0) {
  process.stderr.write(`no bench section ${unknown.join(', ')}: name some of ${SECTIONS.join(', ')}, or none to run them all\n`);
  process.exit(2);
}
const wanted = (section: (typeof SECTIONS)[number]) => asked.length === 0 || asked.includes(section);

const N = 10_000;
const baton = path.join(root, 'bin', 'baton.js');
// Baselines more than one section compares against, measured once, by whichever needs them first.
let memoryEngine: Promise<{ bareChain: number; chainUs: number; bareFan: number; fanUs: number }> | undefined;
const memoryEngineUs = () =>
  (memoryEngine ??= (async () => {
    await engineMicrosPerTask(chain(N), 16); // warm-up
    const bareChain = await best(3, () => bareQueueMicrosPerTask(chain(N)));
    const chainUs = await best(3, () => engineMicrosPerTask(chain(N), 16));
    const bareFan = await best(3, () => bareQueueMicrosPerTask(fanOut(N)));
    const fanUs = await best(3, () => engineMicrosPerTask(fanOut(N), 10_000));
    return { bareChain, chainUs, bareFan, fanUs };
  })());
let nodeMs: number | undefined;
const nodeStartMs = () => (nodeMs ??= startupMedians({ node: ['-e', '0'] }, 15).node);

if (wanted('engine')) {
  process.stderr.write('engine overhead (memory store)...\n');
  const { bareChain, chainUs, bareFan, fanUs } = await memoryEngineUs();
  row('10k noop chain, µs/task', chainUs.toFixed(2), `${bareChain.toFixed(2)} bare queue`, (chainUs / bareChain).toFixed(1) + 'x', '< 5 µs', chainUs < 5);
  row('10k noop fan-out, µs/task', fanUs.toFixed(2), `${bareFan.toFixed(2)} bare queue`, (fanUs / bareFan).toFixed(1) + 'x', '< 5 µs', fanUs < 5);
}

if (wanted('sqlite')) {
  process.stderr.write('engine on SQLite (a fresh database file per run)...\n');
  const { chainUs, fanUs } = await memoryEngineUs();
  await bestSqlite(1, () => chain(N), 16); // warm-up
  const sqliteChainUs = await bestSqlite(3, () => chain(N), 16);
  const sqliteFanUs = await bestSqlite(3, () => fanOut(N), 10_000);
  const perSecond = (us: number) => 1e6 / us;
  row(
    '10k noop chain on SQLite, completions/s',
    `${thousands(perSecond(sqliteChainUs))}/s`,
    `${thousands(perSecond(chainUs))}/s memory`,
    (sqliteChainUs / chainUs).toFixed(1) + 'x',
    '>= 10,000/s',
    perSecond(sqliteChainUs) >= 10_000,
  );
  row(
    '10k noop fan-out on SQLite, completions/s',
    `${thousands(perSecond(sqliteFanUs))}/s`,
    `${thousands(perSecond(fanUs))}/s memory`,
    (sqliteFanUs / fanUs).toFixed(1) + 'x',
    '>= 30,000/s',
    perSecond(sqliteFanUs) >= 30_000,
  );
  const load = await loadFinishedRunMs(chain(N), 5);
  row(`load a finished 10k-task run (${thousands(load.events)} events)`, `${load.loadMs.toFixed(0)} ms`, '', '', '< 300 ms', load.loadMs < 300);
}

if (wanted('memory')) {
  process.stderr.write('100k-task DAG memory...\n');
  const mem = spawnSync(process.execPath, [path.join(root, 'dist', 'bench', 'memory-100k.js')], { encoding: 'utf8' });
  const memory = JSON.parse(mem.stdout.trim().split('\n').pop() ?? '{}');
  row('100k noop DAG, peak RSS', `${memory.peak_mb} MB (${memory.ms} ms, ${memory.status})`, '', '', '< 500 MB', memory.peak_mb < 500);
}

if (wanted('loops')) {
  process.stderr.write('100k-item loops against 100k top-level tasks (SQLite)...\n');
  for (const parallel of [false, true]) {
    const { loopUs, tasksUs } = await loopAgainstTasks(LOOP_ITEMS, parallel);
    const ratio = loopUs / tasksUs;
    row(
      parallel ? '100k-item parallel loop, µs/item' : '100k-item sequential loop, µs/item',
      loopUs.toFixed(1),
      `${tasksUs.toFixed(1)} ${parallel ? '100k tasks' : '100k-task chain'}`,
      ratio.toFixed(2) + 'x',
      '<= 1.2x',
      ratio <= 1.2,
    );
  }
}

if (wanted('resume')) {
  process.stderr.write('baton resume of an interrupted 10k-task run...\n');
  const resumeSmall = await resumeCliMs(baton, 10);
  const resumeCli = await resumeCliMs(baton, N);
  row(
    'baton resume, interrupted 10k-task run',
    `${resumeCli.resumeMs.toFixed(0)} ms`,
    `${resumeSmall.resumeMs.toFixed(0)} ms 10 tasks`,
    (resumeCli.resumeMs / resumeSmall.resumeMs).toFixed(1) + 'x',
    '(reported)',
  );
}

if (wanted('output')) {
  process.stderr.write('peak RSS while a task prints 1 GB (SQLite store)...\n');
  const rss = await outputRss(baton, 1024 ** 3);
  if (rss) {
    const over = rss.peakMb - rss.baselineMb;
    row(
      '1 GB of task output, baton peak RSS',
      `${rss.peakMb.toFixed(0)} MB (${rss.seconds.toFixed(1)} s, ${(rss.loggedBytes / 1024 ** 3).toFixed(2)} GB logged)`,
      `${rss.baselineMb.toFixed(0)} MB one-line task`,
      `+${over.toFixed(0)} MB`,
      '<= +50 MB',
      over <= 50,
    );
  } else {
    row('1 GB of task output, baton peak RSS', 'n/a (needs /proc)');
  }
}

if (wanted('shell')) {
  process.stderr.write('shell overhead...\n');
  const SHELL = 500;
  await engineShellMs(50);
  const engineShell = await best(2, () => engineShellMs(SHELL));
  const bare = await best(2, () => bareNodeMs(SHELL));
  const xargs = Math.min(xargsMs(SHELL), xargsMs(SHELL));
  row('500 `true` tasks, concurrency 2', `${engineShell.toFixed(0)} ms`, `${bare.toFixed(0)} ms bare node`, (engineShell / bare).toFixed(2) + 'x', '<= 1.2x', engineShell / bare <= 1.2);
  row('  against xargs -P2', `${engineShell.toFixed(0)} ms`, `${xargs.toFixed(0)} ms xargs`, (engineShell / xargs).toFixed(2) + 'x', '(reported)');
}

if (wanted('whole-process')) {
  process.stderr.write('whole process: baton run on the default store, a bare node loop, xargs -P2...\n');
  for (const [count, rounds] of [[300, 5], [3000, 3]]) {
    const whole = wholeProcessMs(baton, count, rounds);
    const ratio = whole.baton / whole.bare;
    row(`baton run, ${thousands(count)} \`true\` tasks, concurrency 2`, `${whole.baton.toFixed(0)} ms`, `${whole.bare.toFixed(0)} ms bare node`, ratio.toFixed(2) + 'x', '<= 1.3x', ratio <= 1.3);
    row('  against xargs -P2', `${whole.baton.toFixed(0)} ms`, `${whole.xargs.toFixed(0)} ms xargs`, (whole.baton / whole.xargs).toFixed(2) + 'x', '(reported)');
  }
}

if (wanted('startup')) {
  process.stderr.write('start-up...\n');
  const small = path.join(root, 'examples', 'hello.yaml');
  const startup = startupMedians(
    { node: ['-e', '0'], version: [baton, '--version'], validate: [baton, 'validate', small], run: [baton, 'run', small, '--store', 'memory', '--view', 'none'] },
    15,
  );
  row('baton --version', `${startup.version.toFixed(0)} ms`, `${startup.node.toFixed(0)} ms node -e 0`, (startup.version / startup.node).toFixed(2) + 'x', '<= 1.5x', startup.version / startup.node <= 1.5);
  row('baton validate hello.yaml', `${startup.validate.toFixed(0)} ms`, `${startup.node.toFixed(0)} ms node -e 0`, (startup.validate / startup.node).toFixed(2) + 'x', '<= 1.5x', startup.validate / startup.node <= 1.5);
  row('baton run hello.yaml (memory store)', `${startup.run.toFixed(0)} ms`, `${startup.node.toFixed(0)} ms node -e 0`, (startup.run / startup.node).toFixed(2) + 'x', '(reported)');
  nodeMs = startup.node;
}

if (wanted('code-steps')) {
  process.stderr.write('durable steps (code runs)...\n');
  const STEPS = 10_000;
  await bestCodeSteps(1, STEPS, 'sequential'); // warm-up
  const sequentialUs = await bestCodeSteps(3, STEPS, 'sequential');
  const mapUs = await bestCodeSteps(3, STEPS, 'map');
  row('10k sequential ctx.step on SQLite, µs/step', sequentialUs.toFixed(1), '', '', '< 100 µs', sequentialUs < 100);
  row(`10k ctx.map steps (concurrency ${MAP_CONCURRENCY}) on SQLite, µs/step`, mapUs.toFixed(1), '', '', '< 100 µs', mapUs < 100);
  const cliSteps = await cliCodeSteps(baton, STEPS, 3);
  row(
    '  baton run flow.ts (10k steps, whole process), µs/step',
    cliSteps.usPerStep.toFixed(1),
    `${sequentialUs.toFixed(1)} in process`,
    (cliSteps.usPerStep / sequentialUs).toFixed(2) + 'x',
    '(reported)',
  );
  const RESTATE_STEPS = 1000;
  const batonSmallUs = await bestCodeSteps(3, RESTATE_STEPS, 'sequential');
  const restate = await restateMicrosPerStep(RESTATE_STEPS, 3);
  const fasterThanRestate = restate.usPerStep / batonSmallUs;
  row(
    '1k sequential steps against Restate, µs/step',
    batonSmallUs.toFixed(1),
    `${restate.usPerStep.toFixed(0)} Restate ${restate.version}`,
    fasterThanRestate.toFixed(1) + 'x faster',
    '>= 5x faster',
    fasterThanRestate >= 5,
  );
  const STEP_CALLS = 50;
  const calls = await stepCallMs(baton, STEP_CALLS, 3);
  row(
    `baton step from bash (${STEP_CALLS} calls), ms/call`,
    calls.batonStepMs.toFixed(1),
    `${calls.shMs.toFixed(1)} sh -c`,
    (calls.batonStepMs / calls.shMs).toFixed(1) + 'x',
    '(reported)',
  );
  // Most of a call is Node starting: the start-up section's `node -e 0` shows how much.
  row('  against Node start-up', calls.batonStepMs.toFixed(1), `${nodeStartMs().toFixed(1)} node -e 0`, (calls.batonStepMs / nodeStartMs()).toFixed(2) + 'x', '(reported)');
}

if (wanted('skill-search')) {
  process.stderr.write('skill search...\n');
  const search = skillSearchFigures(1000, 400);
  row('skill search over 1,000 skills, p50 per query', `${search.p50Ms.toFixed(2)} ms`, `p95 ${search.p95Ms.toFixed(2)} ms; index built in ${search.indexMs.toFixed(0)} ms`, '', '< 5 ms', search.p50Ms < 5);
}

if (wanted('mcp')) {
  process.stderr.write('baton mcp...\n');
  const mcp = await mcpFigures(baton, 7);
  row('baton mcp start-up to its first answer (initialize, tools/list)', `${mcp.startupMs.toFixed(0)} ms`, `${nodeStartMs().toFixed(0)} ms node -e 0`, (mcp.startupMs / nodeStartMs()).toFixed(2) + 'x', '(reported)');
  row('MCP start_run of a 10-step workflow, request to answer', `${mcp.startRunMs.toFixed(0)} ms`, `${mcp.cliRunMs.toFixed(0)} ms baton run`, (mcp.startRunMs / mcp.cliRunMs).toFixed(2) + 'x', '(reported)');
}

if (wanted('serve')) {
  process.stderr.write('baton serve...\n');
  const served = await serveFigures(baton, 1000);
  row('start a run through the API (1,000 requests, another process), p50', `${served.p50Ms.toFixed(1)} ms`, `p99 ${served.p99Ms.toFixed(1)} ms; ${thousands(served.perSecond)} runs/s`, '', '(reported)');
  row('  request to the run ended (a noop task, its event stream)', `${served.endToEndMs.toFixed(1)} ms`, '', '', '(reported)');
  const sustained = served.sustained;
  row(
    '100 runs/s through the API for a minute, runs/s',
    `${sustained.perSecond.toFixed(1)}/s (p99 ${sustained.p99Ms.toFixed(0)} ms, ${sustained.failed} failed)`,
    `${sustained.rssStartMb.toFixed(0)} MB RSS after 6 s`,
    `${sustained.rssEndMb.toFixed(0)} MB at the end`,
    '>= 95/s, memory flat (<= +50 MB)',
    sustained.perSecond >= 95 && sustained.failed === 0 && sustained.rssEndMb - sustained.rssStartMb <= 50,
  );
}

if (wanted('webhook')) {
  process.stderr.write('baton serve webhooks...\n');
  const hooks = await webhookFigures(baton, 500, 25);
  row(
    `webhook to first task start (${hooks.deliveries} signed deliveries at ${hooks.perSecond}/s, another process), p50`,
    `${hooks.startP50Ms.toFixed(1)} ms`,
    `p99 ${hooks.startP99Ms.toFixed(1)} ms; 202 answered p50 ${hooks.answerP50Ms.toFixed(1)} ms, p99 ${hooks.answerP99Ms.toFixed(1)} ms`,
    '',
    '< 20 ms',
    hooks.startP50Ms < 20,
  );
}

if (wanted('auth')) {
  process.stderr.write('authentication per request (issue 11)...\n');
  const authed = await authFigures(baton, 3000);
  const signed = (ms: number) => {
    const shown = Number(ms.toFixed(3)); // so a difference that rounds to nothing reads +0.000, not -0.000
    return `${shown < 0 ? '-' : '+'}${Math.abs(shown).toFixed(3)} ms`;
  };
  for (const read of authed.reads) {
    const addedMs = read.token.p50 - read.open.p50;
    row(
      `auth per request over HTTP, ${read.read} (${thousands(authed.requests)} each, alternating), added p50`,
      signed(addedMs),
      `without -> with a token: p50 ${read.open.p50.toFixed(3)} -> ${read.token.p50.toFixed(3)} ms, p99 ${read.open.p99.toFixed(3)} -> ${read.token.p99.toFixed(3)} ms`,
      `mean ${signed(read.token.mean - read.open.mean)}`,
      '< 0.2 ms',
      addedMs < 0.2,
    );
  }
  row(
    '  the middleware alone (in process), per request',
    `${(authed.inProcess.tokenUs - authed.inProcess.bareUs).toFixed(1)} µs with a token`,
    `${authed.inProcess.bareUs.toFixed(1)} µs bare route; ${(authed.inProcess.openUs - authed.inProcess.bareUs).toFixed(1)} µs on a store without tokens`,
    '',
    '< 200 µs',
    authed.inProcess.tokenUs - authed.inProcess.bareUs < 200,
  );
}

if (wanted('find-errors')) {
  process.stderr.write('built-in skill find-errors over a generated 1 GB log...\n');
  const scan = findErrorsFigures(path.join(root, 'builtin-skills', 'find-errors', 'scripts', 'find-errors.mjs'), 1024 ** 3);
  row(
    'find-errors over a 1 GB log',
    `${scan.seconds.toFixed(1)} s (${scan.mbPerSecond.toFixed(0)} MB/s)`,
    scan.grepSeconds === undefined ? '' : `${scan.grepSeconds.toFixed(1)} s grep -c`,
    scan.grepSeconds === undefined ? '' : (scan.seconds / scan.grepSeconds).toFixed(1) + 'x',
    '(reported)',
  );
  row('  its peak RSS', `${scan.peakMb.toFixed(0)} MB`, `${scan.baselineMb.toFixed(0)} MB one-line log`, `+${(scan.peakMb - scan.baselineMb).toFixed(0)} MB`, '<= +50 MB', scan.peakMb - scan.baselineMb <= 50);
}

if (wanted('circuits')) {
  process.stderr.write('a closed circuit breaker, then a compensate:, on every task of the 10k noop chain...\n');
  await memoryCircuitFigures(N, 1); // warm-up
  for (const [where, what, figures] of [
    ['memory', 'through a closed circuit', await memoryCircuitFigures(N, 6)],
    ['SQLite', 'through a closed circuit', await sqliteCircuitFigures(N, 4)],
    ['memory', 'with a compensate:', await memoryCircuitFigures(N, 6, 'compensate')],
    ['SQLite', 'with a compensate:', await sqliteCircuitFigures(N, 4, 'compensate')],
  ] as const) {
    const added = figures.circuitUs / figures.plainUs - 1;
    row(
      `10k noop chain on ${where}, each ${what}, µs/task`,
      figures.circuitUs.toFixed(2),
      `${figures.plainUs.toFixed(2)} without`,
      `${added >= 0 ? '+' : ''}${(added * 100).toFixed(1)}%`,
      '< +5%',
      added < 0.05,
    );
  }
}

if (wanted('observability')) {
  process.stderr.write('the 10k noop chain with the /metrics collector alone following the store, memory and SQLite...\n');
  for (const [store, measure] of [['memory', memoryCollectorFigures], ['SQLite', sqliteCollectorFigures]] as const) {
    const figures = await measure(N, 6);
    const added = figures.collectedUs / figures.plainUs - 1;
    row(`10k noop chain on ${store}, /metrics collector (${thousands(figures.events)} events read), µs/task`, figures.collectedUs.toFixed(2), `${figures.plainUs.toFixed(2)} without`, `${added >= 0 ? '+' : ''}${(added * 100).toFixed(1)}%`, '< +10%', added < 0.1);
  }
  process.stderr.write('the 10k noop chain on SQLite with /metrics following the store and notifications on its end (webhook + a metrics alert)...\n');
  const figures = await observedFigures(N, 4);
  const added = figures.observedUs / figures.plainUs - 1;
  row(
    '10k noop chain on SQLite, metrics + notifications, µs/task',
    figures.observedUs.toFixed(2),
    `${figures.plainUs.toFixed(2)} without`,
    `${added >= 0 ? '+' : ''}${(added * 100).toFixed(1)}%`,
    '< +10%',
    added < 0.1,
  );
}

if (wanted('runs-paging')) {
  process.stderr.write('GET /api/runs of a baton serve over a 100,000-run SQLite store: the newest page and one near the oldest...\n');
  const figures = await pagingFigures(baton, 100_000, 21);
  row('GET /api/runs, 25 runs, newest page of 100k, ms (p50)', figures.firstMs.toFixed(1));
  row('  a page near the oldest run (by cursor), ms (p50)', figures.deepMs.toFixed(1), `${figures.firstMs.toFixed(1)} newest`, (figures.deepMs / figures.firstMs).toFixed(2) + 'x', '<= 2x', figures.deepMs <= 2 * figures.firstMs);
}

if (wanted('monitor')) {
  process.stderr.write('baton monitor reading a 100,000-run SQLite store (20 runs live, 50 tasks each)...\n');
  const figures = await monitorFigures(100_000, 40);
  row('monitor refresh of a 100k-run store, ms (p50)', figures.medianMs.toFixed(2), `${figures.naiveMs.toFixed(0)} ms reading the day's runs`, (figures.medianMs / figures.naiveMs).toFixed(3) + 'x', '< 20 ms', figures.medianMs < 20);
  row('  its first read (every live run read whole), ms', figures.firstMs.toFixed(1));
}

if (wanted('metrics')) {
  process.stderr.write('baton metrics --json over a SQLite store of 10,000 runs (6 tasks each)...\n');
  const figures = await metricsFigures(baton, N);
  const against = `${figures.baselineMs.toFixed(0)} ms history --limit 1`;
  row(`baton metrics --json, ${thousands(figures.runs)} runs (${thousands(figures.tasks)} tasks), SQLite`, `${figures.allMs.toFixed(0)} ms`, against, (figures.allMs / figures.baselineMs).toFixed(1) + 'x', '< 2,000 ms', figures.allMs < 2000);
  row('  --workflow (two thirds of them, and a critical path)', `${figures.oneMs.toFixed(0)} ms`, against, (figures.oneMs / figures.baselineMs).toFixed(1) + 'x', '(reported)');
}

if (wanted('data-processor')) {
  process.stderr.write('data_processor over a generated 1 GB input (JSON array, then JSON Lines)...\n');
  const figures = await dataProcessorFigures(baton, 1024 ** 3);
  if (figures === undefined) row('1 GB data_processor input, peak RSS', 'n/a (needs /proc)');
  for (const f of figures ?? []) {
    const over = f.batonPeakMb - f.batonBaselineMb;
    row(
      `1 GB data_processor input (${f.format === 'json' ? 'one JSON array' : 'JSON Lines'}, ${thousands(f.records)} records), baton peak RSS`,
      `${f.batonPeakMb.toFixed(0)} MB (${f.seconds.toFixed(1)} s, ${(f.bytes / 1048576 / f.seconds).toFixed(0)} MB/s)`,
      `${f.batonBaselineMb.toFixed(0)} MB one-record input`,
      `+${over.toFixed(0)} MB`,
      '(reported)',
    );
    row('  the processor\'s peak RSS (a Node script, line by line)', `${f.processorPeakMb.toFixed(0)} MB`, `${f.processorBaselineMb.toFixed(0)} MB one-record input`, `+${(f.processorPeakMb - f.processorBaselineMb).toFixed(0)} MB`, '(reported)');
  }
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
process.stdout.write('\n' + rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n') + '\n');
