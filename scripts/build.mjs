// Bundles the CLI into dist/ with esbuild. One bundle loads far faster than hundreds of
// separate ES modules (start-up is a benchmarked target); each command stays a separate
// chunk so `baton --version` loads none of them. `baton validate` gets a bundle of its own
// (dist/validate.cjs, see src/cli/validate-entry.ts): CommonJS, because on Node 20 only
// scripts, not ES modules, can reuse V8's compiled code between runs (bin/baton.js).
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

/**
 * The validate bundle meets commander only through `err instanceof CommanderError` in
 * fatal.ts, and no commander error can arise on that path (bin/baton.js sends only plain
 * command lines there). Loading commander would load node:child_process (~15 ms) with it.
 */
const noCommander = {
  name: 'no-commander',
  setup(b) {
    b.onResolve({ filter: /^commander$/ }, () => ({ path: 'commander', namespace: 'no-commander' }));
    b.onLoad({ filter: /.*/, namespace: 'no-commander' }, () => ({ contents: 'export class CommanderError extends Error {}', loader: 'js' }));
  },
};

await rm(new URL('../dist', import.meta.url), { recursive: true, force: true });
await Promise.all([
  build({
    ...nodeBundle,
    entryPoints: { cli: 'src/cli/main.ts' },
    outdir: 'dist',
    splitting: true,
    minify: true,
    plugins: [dropZodLocales],
    sourcemap: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
  }),
  build({
    ...nodeBundle,
    format: 'cjs',
    // CommonJS has its own `require`: no banner making one.
    banner: {},
    entryPoints: { validate: 'src/cli/validate-entry.ts' },
    outExtension: { '.js': '.cjs' },
    outdir: 'dist',
    minify: true,
    plugins: [dropZodLocales, noCommander],
    sourcemap: 'linked',
  }),
]);
