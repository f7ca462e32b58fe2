// Bundles the CLI into dist/ with esbuild. One bundle loads far faster than hundreds of
// separate ES modules (start-up is a benchmarked target); each command stays a separate
// chunk so `baton --version` loads none of them.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { nodeBundle } from './esbuild-node.mjs';

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
  ...nodeBundle,
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist',
  splitting: true,
  minify: true,
  plugins: [dropZodLocales],
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
});
