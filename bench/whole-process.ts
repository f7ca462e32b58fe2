/**
 * What a user waits for: `baton run` as its own process, on the default store (SQLite in a
 * fresh BATON_HOME, log files beside it), running N independent `true` tasks two at a time;
 * against a bare Node.js script that spawns the same commands two at a time (also its own
 * process) and against `xargs -P2`. The three run interleaved, round after round, so the
 * noise of a shared machine hits all of them alike; each figure is a median.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface WholeProcessFigures {
  baton: number;
  bare: number;
  xargs: number;
}

/** The bare loop a careful user would write: `sh -c true` via child_process.spawn, two at a time. */
const BARE_LOOP = `import { spawn } from 'node:child_process';
const n = Number(process.argv[2]);
let next = 0;
const worker = async () => {
  while (next < n) {
    next++;
    await new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.on('error', reject);
      child.on('close', resolve);
    });
  }
};
await Promise.all([worker(), worker()]);
`;

/** Median wall times (ms) of `rounds` interleaved runs of each of the three. */
export function wholeProcessMs(baton: string, n: number, rounds: number): WholeProcessFigures {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-whole-'));
  try {
    const flow = path.join(dir, `true-${n}.yaml`);
    let yaml = `name: true-${n}\nconcurrency: 2\ntasks:\n`;
    for (let i = 0; i < n; i++) yaml += `  - id: t${i}\n    command: "true"\n`;
    writeFileSync(flow, yaml);
    const bareScript = path.join(dir, 'bare-loop.mjs');
    writeFileSync(bareScript, BARE_LOOP);
    const xargsInput = 'true\n'.repeat(n);
    const times: Record<keyof WholeProcessFigures, number[]> = { baton: [], bare: [], xargs: [] };
    for (let r = 0; r < rounds; r++) {
      const home = path.join(dir, `home-${r}`);
      times.baton.push(
        timed('baton run', process.execPath, [baton, 'run', flow, '--view', 'none'], { cwd: dir, env: { ...process.env, BATON_HOME: home, NO_COLOR: '1' } }),
      );
      rmSync(home, { recursive: true, force: true });
      times.bare.push(timed('bare node loop', process.execPath, [bareScript, String(n)], { cwd: dir }));
      times.xargs.push(timed('xargs', 'xargs', ['-P2', '-I{}', 'sh', '-c', '{}'], { cwd: dir, input: xargsInput }));
    }
    return { baton: median(times.baton), bare: median(times.bare), xargs: median(times.xargs) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function timed(what: string, program: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): number {
  const start = performance.now();
  const result = spawnSync(program, args, { ...options, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`${what} exited ${result.status ?? result.signal}: ${result.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
