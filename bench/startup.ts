/** Start-up: `baton --version`, `baton validate` and `baton run` on a small file, against `node -e 0`. */
import { spawnSync } from 'node:child_process';

function once(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
  return performance.now() - start;
}

/** Median wall time of each command, runs interleaved so machine noise hits all alike. */
export function startupMedians(commands: Record<string, string[]>, rounds: number): Record<string, number> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (const args of Object.values(commands)) once(args); // warm the file cache
  for (let r = 0; r < rounds; r++) for (const [name, args] of Object.entries(commands)) times[name].push(once(args));
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
