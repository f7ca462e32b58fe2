// Bundles the benchmarks like the CLI, so they measure the code users run rather than a
// TypeScript loader's on-the-fly compilation. The peers bench/pg.ts measures baton against
// (devDependencies) load from node_modules as they are published, not rebundled.
import { build } from 'esbuild';
import { nodeBundle } from './esbuild-node.mjs';

await build({
  ...nodeBundle,
  entryPoints: [
    'bench/run.ts',
    'bench/memory-100k.ts',
    'bench/pg.ts',
    'bench/pg/graphile-worker-process.ts',
    'bench/pg/pg-boss-process.ts',
    'bench/pg/dbos-steps-process.ts',
  ],
  external: [...nodeBundle.external, 'graphile-worker', 'pg-boss', '@dbos-inc/dbos-sdk'],
  outdir: 'dist/bench',
});
