/**
 * `npm run bench`: every figure side by side in one run, with the targets from the
 * issues. Machines are small and noisy: read the ratios, not the absolute numbers.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { bareQueueMicrosPerTask, chain, engineMicrosPerTask, fanOut } from './engine-overhead.js';
import { bareNodeMs, engineShellMs, xargsMs } from './shell-overhead.js';
import { startupMedians } from './startup.js';

// This file runs bundled from dist/bench/.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const rows: string[][] = [['measure', 'value', 'baseline', 'ratio', 'target']];
const row = (name: string, value: string, baseline = '', ratio = '', target = '') => {
  rows.push([name, value, baseline, ratio, target]);
  process.stderr.write(`  ${name}: ${value}\n`);
};
const best = async (times: number, fn: () => Promise<number>) => {
  let min = Infinity;
  for (let i = 0; i < times; i++) min = Math.min(min, await fn());
  return min;
};

process.stderr.write('engine overhead (memory store)...\n');
const N = 10_000;
await engineMicrosPerTask(chain(N), 16); // warm-up
const bareChain = await best(3, () => bareQueueMicrosPerTask(chain(N)));
const chainUs = await best(3, () => engineMicrosPerTask(chain(N), 16));
const bareFan = await best(3, () => bareQueueMicrosPerTask(fanOut(N)));
const fanUs = await best(3, () => engineMicrosPerTask(fanOut(N), 10_000));
row('10k noop chain, µs/task', chainUs.toFixed(2), `${bareChain.toFixed(2)} bare queue`, (chainUs / bareChain).toFixed(1) + 'x', '< 5 µs');
row('10k noop fan-out, µs/task', fanUs.toFixed(2), `${bareFan.toFixed(2)} bare queue`, (fanUs / bareFan).toFixed(1) + 'x', '< 5 µs');

process.stderr.write('100k-task DAG memory...\n');
const mem = spawnSync(process.execPath, [path.join(root, 'dist', 'bench', 'memory-100k.js')], { encoding: 'utf8' });
const memory = JSON.parse(mem.stdout.trim().split('\n').pop() ?? '{}');
row('100k noop DAG, peak RSS', `${memory.peak_mb} MB (${memory.ms} ms, ${memory.status})`, '', '', '< 500 MB');

process.stderr.write('shell overhead...\n');
const SHELL = 500;
await engineShellMs(50);
const engineShell = await best(2, () => engineShellMs(SHELL));
const bare = await best(2, () => bareNodeMs(SHELL));
const xargs = Math.min(xargsMs(SHELL), xargsMs(SHELL));
row('500 `true` tasks, concurrency 2', `${engineShell.toFixed(0)} ms`, `${bare.toFixed(0)} ms bare node`, (engineShell / bare).toFixed(2) + 'x', '<= 1.2x');
row('  against xargs -P2', `${engineShell.toFixed(0)} ms`, `${xargs.toFixed(0)} ms xargs`, (engineShell / xargs).toFixed(2) + 'x', '(reported)');

process.stderr.write('start-up...\n');
const baton = path.join(root, 'bin', 'baton.js');
const small = path.join(root, 'examples', 'hello.yaml');
const startup = startupMedians(
  { node: ['-e', '0'], version: [baton, '--version'], validate: [baton, 'validate', small] },
  15,
);
row('baton --version', `${startup.version.toFixed(0)} ms`, `${startup.node.toFixed(0)} ms node -e 0`, (startup.version / startup.node).toFixed(2) + 'x', '<= 1.5x');
row('baton validate hello.yaml', `${startup.validate.toFixed(0)} ms`, `${startup.node.toFixed(0)} ms node -e 0`, (startup.validate / startup.node).toFixed(2) + 'x', '<= 1.5x');

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
process.stdout.write('\n' + rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n') + '\n');
