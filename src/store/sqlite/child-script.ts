/**
 * For tests: runs a small script in another Node process that imports this source tree's
 * SQLite store (tsx for the TypeScript, plus a loader hook that gives it .sql files as
 * text, as the bundle does).
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const storeModule = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.ts')).href;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Node arguments that load TypeScript and .sql files, the hooks written into `dir`. */
function loaderArgs(dir: string): string[] {
  const hooks = path.join(dir, 'sql-text.mjs');
  if (!existsSync(hooks)) {
    writeFileSync(
      path.join(dir, 'sql-hooks.mjs'),
      `import { readFile } from 'node:fs/promises';
export async function load(url, context, next) {
  if (!url.endsWith('.sql')) return next(url, context);
  return { format: 'module', shortCircuit: true, source: 'export default ' + JSON.stringify(await readFile(new URL(url), 'utf8')) };
}
`,
    );
    writeFileSync(hooks, `import { register } from 'node:module';\nregister('./sql-hooks.mjs', import.meta.url);\n`);
  }
  return ['--import', tsx, '--import', hooks];
}

/**
 * Starts `node <script>` where the script's text may use `STORE` for the store module's URL.
 * The script and the loader hooks are written into `dir`, which the child must be able to read.
 */
export function spawnStoreScript(dir: string, name: string, script: string, args: string[], options: SpawnOptions = {}) {
  const file = path.join(dir, name);
  writeFileSync(file, script.replaceAll('STORE', JSON.stringify(storeModule)));
  return spawn(process.execPath, [...loaderArgs(dir), file, ...args], { stdio: 'pipe', ...options });
}
