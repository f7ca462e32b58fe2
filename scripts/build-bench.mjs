// Bundles the benchmarks like the CLI, so they measure the code users run rather than a
// TypeScript loader's on-the-fly compilation.
import { build } from 'esbuild';
import { nodeBundle } from './esbuild-node.mjs';

await build({
  ...nodeBundle,
  entryPoints: ['bench/run.ts', 'bench/memory-100k.ts'],
  outdir: 'dist/bench',
});
