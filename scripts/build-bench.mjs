// Bundles the benchmarks like the CLI, so they measure the code users run rather than a
// TypeScript loader's on-the-fly compilation.
import { build } from 'esbuild';

await build({
  entryPoints: ['bench/run.ts', 'bench/memory-100k.ts'],
  outdir: 'dist/bench',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['tsx', 'better-sqlite3', 'pg'],
  // SQL (migrations, queries) is kept in .sql files and bundled as text.
  loader: { '.sql': 'text' },
  banner: { js: "import { createRequire as __batonRequire } from 'node:module'; const require = __batonRequire(import.meta.url);" },
  logLevel: 'warning',
});
