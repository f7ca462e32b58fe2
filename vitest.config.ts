import { defineConfig, type Plugin } from 'vitest/config';

/** `import text from './x.sql'` gives the file's text, as esbuild's `text` loader does in the bundle. */
function sqlAsText(): Plugin {
  return {
    name: 'sql-as-text',
    enforce: 'pre',
    transform(code, id) {
      if (!id.split('?')[0].endsWith('.sql')) return undefined;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}

export default defineConfig({
  plugins: [sqlAsText()],
  test: {
    include: ['src/**/*.test.ts', 'tests/**/*.test.ts', 'ui/src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Vitest's default is one fork fewer than the CPUs: one on the 2-core machines CI runs
    // on. Most test files wait on the processes they start (baton, workers, servers), so
    // three side by side finish the suite in far less time without starving each other.
    poolOptions: { forks: { maxForks: 3, minForks: 1 } },
  },
});
