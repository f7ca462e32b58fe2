// Bundles the CLI into dist/ with esbuild. One bundle loads far faster than hundreds of
// separate ES modules (start-up is a benchmarked target); each command stays a separate
// chunk so `baton --version` loads none of them.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';

/**
 * zod's classic entry re-exports every locale as a namespace (`z.locales`), which no
 * bundler can drop and which doubles the size of the code `baton validate` must compile.
 * baton uses only the English messages zod configures by default, so that namespace is
 * replaced by an empty module.
 */
const dropZodLocales = {
  name: 'drop-zod-locales',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${'zod'}/v4/classic/`) ? { path: 'zod-locales', namespace: 'empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'export {}', loader: 'js' }));
  },
};

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  plugins: [dropZodLocales],
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // Packages with native code or their own binaries stay in node_modules.
  external: ['tsx', 'better-sqlite3', 'pg'],
  // SQL (migrations, queries) is kept in .sql files and bundled as text.
  loader: { '.sql': 'text' },
  banner: { js: "import { createRequire as __batonRequire } from 'node:module'; const require = __batonRequire(import.meta.url);" },
  logLevel: 'warning',
});
