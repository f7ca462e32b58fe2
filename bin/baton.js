#!/usr/bin/env node
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

// Task output streams through baton as short-lived strings. Left to itself V8 grows its
// young generation to tens of MB under that load; at its initial size, the peak memory of
// a run whose task prints gigabytes stays ~35 MB lower, for ~5% more time on such runs
// and no measurable change elsewhere (bench: "1 GB of task output"). Newer V8 versions
// raise a factor below 2 to 2: there it changes nothing, and does no harm.
v8.setFlagsFromString('--semi-space-growth-factor=1');
// Node >= 22.1 can keep compiled code between runs; start-up is most of a short command.
module.enableCompileCache?.();

const args = process.argv.slice(2);
if (isPlainValidate(args)) {
  const { main } = loadScript(fileURLToPath(new URL('../dist/validate.cjs', import.meta.url)));
  process.exitCode = await main(args.slice(1));
} else {
  await import('../dist/cli.js');
}

/**
 * `validate` with workflow files and at most `--json`: the light path
 * (src/cli/validate-entry.ts). Help, other options and mistakes go to the full CLI.
 */
function isPlainValidate(args) {
  if (args[0] !== 'validate') return false;
  const rest = args.slice(1);
  return rest.every((arg) => arg === '--json' || !arg.startsWith('-')) && rest.some((arg) => arg !== '--json');
}

/**
 * Loads a CommonJS bundle. On Node 20, which has no compile cache, V8's compiled code for
 * it is kept in the user's cache folder and reused, which saves most of the time spent
 * compiling it (~0.7 MB of zod, yaml and baton's spec). The cache file is named by the
 * bundle's size and time and by the Node version, as V8 itself checks little more than
 * the source's length; any trouble with it just means compiling as usual.
 */
function loadScript(file) {
  const require = module.createRequire(file);
  if (module.enableCompileCache) return require(file);
  const source = readFileSync(file, 'utf8');
  let cacheFile;
  let cached;
  try {
    const { size, mtimeMs } = statSync(file);
    const dir = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'baton');
    cacheFile = path.join(dir, `${path.basename(file)}-${size}-${Math.trunc(mtimeMs)}-${process.version}-${process.arch}.v8`);
    cached = readFileSync(cacheFile);
  } catch {
    // No cache yet (or no home): compile, and try to keep the result below.
  }
  const script = new vm.Script(module.wrap(source), { filename: file, cachedData: cached });
  const exports = {};
  const wrapper = { exports };
  script.runInThisContext()(exports, require, wrapper, file, path.dirname(file));
  if (cacheFile && (cached === undefined || script.cachedDataRejected)) {
    // At exit, so the code compiled while running (not only at load) is kept too.
    process.once('exit', () => {
      try {
        mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
        const temporary = `${cacheFile}.${process.pid}`;
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
      } catch {
        // A read-only home: the next run compiles again.
      }
    });
  }
  return wrapper.exports;
}
