// Bundles the CLI into dist/ with esbuild: one bundle loads far faster than hundreds of
// separate ES modules (start-up is a benchmarked target). Both bundles are CommonJS,
// because on Node 20 only scripts, not ES modules, can reuse V8's compiled code between
// runs (bin/baton.js keeps it in the user's cache folder): dist/cli.cjs is the whole CLI,
// in which each command's modules still run only when that command does;
// dist/validate.cjs is `baton validate` alone (see src/cli/validate-entry.ts), and
// dist/step.cjs `baton step` and `baton summary` (src/cli/step-entry.ts).
import { build } from 'esbuild';
import { rename, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
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
 * The validate and step bundles meet commander only through `err instanceof CommanderError` in
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

/**
 * CommonJS for Node 20: `import()` of baton's own modules (each command, loaded when it
 * runs) becomes a require of code in the same file, and `import.meta.url` (which
 * CommonJS lacks; used to find packages such as better-sqlite3) the bundle's own URL.
 * CommonJS has its own `require`: no banner making one.
 */
const cjsBundle = {
  ...nodeBundle,
  format: 'cjs',
  supported: { 'dynamic-import': false },
  banner: { js: "const __batonImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  define: { 'import.meta.url': '__batonImportMetaUrl' },
  outExtension: { '.js': '.cjs' },
  outdir: 'dist',
  minify: true,
  sourcemap: 'linked',
};

/**
 * The web UI (ui/, docs/ui.md) into dist/ui, which `baton serve` serves. Vite is loaded here
 * only: the CLI's bundles never import it.
 */
async function buildUi() {
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: fileURLToPath(new URL('../ui/vite.config.ts', import.meta.url)), logLevel: 'warn', build: { outDir: fileURLToPath(new URL('../dist-next/ui', import.meta.url)) } });
}

// Built next to dist/ and swapped in at the end, so a baton started meanwhile (a test, a
// run in another terminal) finds the old build or the new one, never half of one.
const next = new URL('../dist-next', import.meta.url);
await rm(next, { recursive: true, force: true });
const outdir = 'dist-next';
await Promise.all([
  build({ ...cjsBundle, outdir, entryPoints: { cli: 'src/cli/main.ts' }, plugins: [dropZodLocales] }),
  build({ ...cjsBundle, outdir, entryPoints: { validate: 'src/cli/validate-entry.ts' }, plugins: [dropZodLocales, noCommander] }),
  build({ ...cjsBundle, outdir, entryPoints: { step: 'src/cli/step-entry.ts' }, plugins: [noCommander] }),
  // `import { workflow } from 'baton'` outside `baton run` (a test of a workflow's definition).
  build({ ...nodeBundle, outdir, entryPoints: { sdk: 'src/sdk/index.ts' }, minify: true, sourcemap: 'linked' }),
  buildUi(),
]);
const dist = new URL('../dist', import.meta.url);
const old = new URL('../dist-old', import.meta.url);
await rm(old, { recursive: true, force: true });
await rename(dist, old).catch((err) => {
  if (err.code !== 'ENOENT') throw err;
});
await rename(next, dist);
await rm(old, { recursive: true, force: true });
