// Bundles the CLI into dist/ with esbuild. One bundle loads far faster than hundreds of
// separate ES modules (start-up is a benchmarked target); each command stays a separate
// chunk so `baton --version` loads none of them.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // Packages with native code or their own binaries stay in node_modules.
  external: ['tsx', 'better-sqlite3', 'pg'],
  banner: { js: "import { createRequire as __batonRequire } from 'node:module'; const require = __batonRequire(import.meta.url);" },
  logLevel: 'warning',
});
