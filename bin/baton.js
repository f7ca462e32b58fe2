#!/usr/bin/env node
// CommonJS (bin/package.json), so that Node need not start its ES module loader: every
// command starts faster by that much.
const { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { homedir } = require('node:os');
const path = require('node:path');
const vm = require('node:vm');

// Node >= 22.1 can keep compiled code between runs; start-up is most of a short command.
Module.enableCompileCache?.();

/** The commands of src/cli/main.ts and their aliases; each keeps its own compiled code. */
const COMMANDS = {
  run: 'run', execute: 'run', resume: 'resume', recover: 'resume', retry: 'retry', cancel: 'cancel',
  history: 'history', runs: 'history', status: 'status', logs: 'logs', monitor: 'monitor', metrics: 'metrics', export: 'export', import: 'import',
  validate: 'validate', graph: 'graph', eval: 'eval', schema: 'schema', step: 'step', summary: 'summary',
  approve: 'approve', resolve: 'resolve', emit: 'emit', skills: 'skills', skill: 'skill', mcp: 'mcp', serve: 'serve', triggers: 'triggers', init: 'init', create: 'create', generate: 'generate',
};
/** The commands that run tasks (cancel may run a run's cleanup tasks itself; approve, resolve and emit go on with the runs they answer). */
const RUNS_TASKS = new Set(['run', 'resume', 'retry', 'cancel', 'approve', 'resolve', 'emit', 'skill', 'serve']);

const args = process.argv.slice(2);
if (RUNS_TASKS.has(commandOf(args))) {
  // Task output streams through baton as short-lived strings. Left to itself V8 grows its
  // young generation to tens of MB under that load; at its initial size, the peak memory
  // of a run whose task prints gigabytes stays ~35 MB lower, for ~5% more time on such
  // runs and no measurable change elsewhere (bench: "1 GB of task output"); a small young
  // generation also keeps down what each fork of a task copies. Newer V8 versions raise a
  // factor below 2 to 2: there it changes nothing, and does no harm. Only for commands
  // that run tasks: node:v8 loads Node's streams, which the others may not need. Set
  // before any code is compiled, as V8's code cache records the flags.
  require('node:v8').setFlagsFromString('--semi-space-growth-factor=1');
}
if (isPlainValidate(args)) {
  const { main } = loadScript(path.join(__dirname, '..', 'dist', 'validate.cjs'), 'validate');
  main(args.slice(1)).then((code) => (process.exitCode = code));
} else if (isStepCall(args)) {
  const { main } = loadScript(path.join(__dirname, '..', 'dist', 'step.cjs'), args[0]);
  main(args).then((code) => (process.exitCode = code));
} else {
  // The whole CLI (src/cli/main.ts) parses process.argv as it loads.
  loadScript(path.join(__dirname, '..', 'dist', 'cli.cjs'), commandOf(args));
}

/**
 * `validate` with workflow files (.yaml, .yml, .json) and at most `--json`: the light path
 * (src/cli/validate-entry.ts). Code files (flow.ts, a script), which load the code bundler,
 * help, other options and mistakes go to the full CLI.
 */
function isPlainValidate(args) {
  if (args[0] !== 'validate') return false;
  const rest = args.slice(1);
  const workflowFile = (arg) => /\.(ya?ml|json)$/i.test(arg);
  return rest.every((arg) => arg === '--json' || (!arg.startsWith('-') && workflowFile(arg))) && rest.some((arg) => arg !== '--json');
}

/**
 * `step` and `summary` (called by scripts, once per step): the light path
 * (src/cli/step-entry.ts), except `--help` before the command (`--` ends baton's
 * options: `baton step x -- grep --help` runs grep) and `baton summary --help` alone.
 */
function isStepCall(args) {
  const help = (arg) => arg === '--help' || arg === '-h';
  if (args[0] === 'summary') return !(args.length === 2 && help(args[1]));
  if (args[0] !== 'step') return false;
  const end = args.indexOf('--');
  return !args.slice(1, end === -1 ? undefined : end).some(help);
}

/** Which command a command line runs, to name its code cache; `cli` for help, version and mistakes. */
function commandOf(args) {
  return Object.hasOwn(COMMANDS, args[0] ?? '') ? COMMANDS[args[0]] : 'cli';
}

/**
 * Loads a CommonJS bundle. On Node 20, which has no compile cache, V8's compiled code for
 * it is kept in the user's cache folder and reused, which saves most of the time spent
 * compiling it (zod, yaml, commander, baton). V8 caches what a process compiled by its
 * end, which depends on the command: `tag` names the command, so `baton run` finds the
 * engine's code in its cache, not only what `baton --version` needed. The cache file is
 * also named by the bundle's path (two installed copies of baton do not take turns
 * replacing each other's), size and time and by the Node version, as V8 itself checks
 * little more than the source's length. Writing one removes what it replaces, and caches
 * unused for a month (of copies since removed). Any trouble with the cache just means
 * compiling as usual.
 */
function loadScript(file, tag) {
  const requireFromBundle = Module.createRequire(file);
  if (Module.enableCompileCache) return requireFromBundle(file);
  const source = readFileSync(file, 'utf8');
  let dir;
  let prefix;
  let cacheFile;
  let cached;
  try {
    const { size, mtimeMs } = statSync(file);
    dir = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'baton');
    prefix = `${path.basename(file)}-${tag}-${hashOf(file)}-`;
    cacheFile = path.join(dir, `${prefix}${size}-${Math.trunc(mtimeMs)}-${process.version}-${process.arch}.v8`);
    cached = readFileSync(cacheFile);
  } catch {
    // No cache yet (or no home): compile, and try to keep the result below.
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData: cached });
  if (cacheFile && (cached === undefined || script.cachedDataRejected)) {
    // At exit, so the code compiled while running (not only at load) is kept too.
    process.once('exit', () => writeCache(dir, prefix, cacheFile, script));
  }
  const exports = {};
  const wrapper = { exports };
  script.runInThisContext()(exports, requireFromBundle, wrapper, file, path.dirname(file));
  return wrapper.exports;
}

/** Writes the cache file whole (or not at all), and removes those it replaces. */
function writeCache(dir, prefix, cacheFile, script) {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temporary = `${cacheFile}.${process.pid}`;
    writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    renameSync(temporary, cacheFile);
    // The same command's cache from an older build (or Node) of this copy of baton, caches
    // named as before commands had their own (`validate.cjs-<size>-...`), and any not
    // used for a month. (A cache in use is read, not written: its time is when it was made.)
    const name = path.basename(cacheFile);
    const legacy = `${prefix.slice(0, prefix.indexOf('-'))}-`;
    const monthAgo = Date.now() - 30 * 24 * 3600 * 1000;
    for (const other of readdirSync(dir)) {
      if (other === name || !other.endsWith('.v8')) continue;
      const replaced = other.startsWith(prefix) || (other.startsWith(legacy) && /^\d/.test(other.slice(legacy.length)));
      if (replaced || modifiedBefore(path.join(dir, other), monthAgo)) removeQuietly(path.join(dir, other));
    }
  } catch {
    // A read-only home, or another baton removing the same file: the next run compiles again.
  }
}

function modifiedBefore(file, time) {
  try {
    return statSync(file).mtimeMs < time;
  } catch {
    return false;
  }
}

function removeQuietly(file) {
  try {
    unlinkSync(file);
  } catch {
    // Another baton removed it first.
  }
}

/** A short hash of a path (FNV-1a), so two copies of baton keep apart caches. */
function hashOf(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(36);
}
