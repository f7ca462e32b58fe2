/**
 * Shell overhead: 500 `true` tasks at concurrency 2 through the engine, against a bare
 * Node.js loop spawning the same `sh -c true` two at a time, and against `xargs -P2`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { runWorkflow } from '../src/engine/runner.js';
import { shell, workflow } from '../src/engine/test-dsl.js';
import { createMemoryStore } from '../src/store/memory/memory-store.js';

export async function engineShellMs(n: number): Promise<number> {
  const tasks = Array.from({ length: n }, (_, i) => shell(`t${i}`, 'true'));
  const start = performance.now();
  const { state } = await runWorkflow({ store: createMemoryStore(), workflow: workflow(tasks), concurrency: 2 });
  if (state.status !== 'succeeded') throw new Error(`shell bench run ${state.status}`);
  return performance.now() - start;
}

export async function bareNodeMs(n: number): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      await new Promise<void>((resolve, reject) => {
        const child = spawn('sh', ['-c', 'true'], { stdio: ['ignore', 'pipe', 'pipe'] });
        child.on('error', reject);
        child.on('close', () => resolve());
      });
    }
  };
  await Promise.all([worker(), worker()]);
  return performance.now() - start;
}

export function xargsMs(n: number): number {
  const start = performance.now();
  const input = Array.from({ length: n }, () => 'true').join('\n');
  const result = spawnSync('xargs', ['-P2', '-I{}', 'sh', '-c', '{}'], { input });
  if (result.status !== 0) throw new Error('xargs failed');
  return performance.now() - start;
}
