/**
 * The project a command runs in, and where its runs are kept. Shared by every front end
 * (CLI now, the server later), so it lives below them.
 *
 * - The project root is the folder of the nearest `baton.config.yaml` (or `.yml`) found
 *   by walking up from the working folder; without one, the working folder itself.
 * - baton's home (`.baton/`: the SQLite store, logs, scratch) is `BATON_HOME` if set,
 *   else `<root>/.baton`. When baton creates it, it puts a `.gitignore` of `*` inside so
 *   nobody commits run data by accident.
 * - The store location, first found wins: `--store`, `BATON_STORE`, the config's
 *   `store:`, `<home>/baton.db`. `memory` keeps runs in the process only. Relative paths
 *   resolve against the config file's folder when they come from it, else the working
 *   folder.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Reporter, type Diagnostic } from '../spec/diagnostics.js';
import { parseSource } from '../spec/source.js';
import { didYouMean } from '../spec/suggest.js';
import { resolveChannelPaths } from './channels.js';
import { ConfigError, ConfigInvalidError } from './errors.js';
import { parseSettings, SETTING_HELP, type Settings } from './settings.js';

export const CONFIG_FILE_NAMES = ['baton.config.yaml', 'baton.config.yml'] as const;
/** A config file is a few lines; anything this big is not one. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** What `baton.config.yaml` may say (it grows as features need settings; settings.ts has the rest). */
export interface ProjectConfig extends Settings {
  /** Where runs are kept: a SQLite file path, a postgres:// URL, or `memory`; default `<home>/baton.db`. */
  store?: string;
}

const FIELDS: Record<keyof ProjectConfig, string> = SETTING_HELP;

export interface Project {
  /** The folder of the config file, else the working folder. */
  root: string;
  /** Absolute path of the config file, when there is one. */
  configFile?: string;
  config: ProjectConfig;
  /** baton's folder for run data (`.baton/`); may not exist yet. */
  home: string;
}

export interface ProjectOptions {
  /** Default process.cwd(). */
  cwd?: string;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** The nearest config file at or above `from`, or undefined. Throws when a folder has both spellings. */
export function findConfigFile(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    const found = CONFIG_FILE_NAMES.map((name) => path.join(dir, name)).filter(isFile);
    if (found.length > 1) {
      throw new ConfigError('CONFIG_AMBIGUOUS', `both ${found.join(' and ')} exist: keep one of them`, { details: { files: found } });
    }
    if (found.length === 1) return found[0];
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Finds and reads the project's configuration. Throws ConfigInvalidError listing every problem. */
export function loadProject(options: ProjectOptions = {}): Project {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const configFile = findConfigFile(cwd);
  const root = configFile === undefined ? cwd : path.dirname(configFile);
  const home = nonEmpty(env.BATON_HOME) === undefined ? path.join(root, '.baton') : path.resolve(cwd, env.BATON_HOME!);
  if (configFile === undefined) return { root, home, config: {} };
  const text = readConfigText(configFile);
  const parsed = parseConfig(text, configFile);
  if (parsed.diagnostics.some((d) => d.severity === 'error')) throw new ConfigInvalidError(configFile, parsed.diagnostics);
  const config = parsed.config!;
  // A relative path in the file means relative to the file, wherever baton runs from.
  if (config.store !== undefined && isFilePath(config.store)) config.store = path.resolve(root, config.store);
  if (config.skills) config.skills = config.skills.map((dir) => path.resolve(root, dir));
  for (const entry of Object.values(config.server?.namespaces ?? {})) {
    entry.workflows = path.resolve(root, entry.workflows);
    if (entry.skills) entry.skills = entry.skills.map((dir) => path.resolve(root, dir));
  }
  if (config.sandbox) config.sandbox.writable = config.sandbox.writable.map((dir) => path.resolve(root, dir));
  if (config.notifications) resolveChannelPaths(config.notifications.channels, root);
  return { root, home, configFile, config };
}

/** Checks a config file's text; `config` is present when there is no error. Pure. */
export function parseConfig(input: string, file: string): { config?: ProjectConfig; diagnostics: Diagnostic[] } {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const source = parseSource(text, file);
  const rep = new Reporter(file, source.index);
  const code = (c: string) => c.replace(/^SPEC_/, 'CONFIG_');
  for (const e of source.errors) rep.error(code(e.code), e.message, { offset: e.offset, path: '' }, e.hint);
  if (source.errors.length > 0) return { diagnostics: rep.result() };
  for (const p of source.problems) rep.error(code(p.code), p.message, { offset: p.offset, path: '' }, p.hint);
  for (const w of source.warnings) rep.warning(code(w.code), w.message, { offset: w.offset, path: '' });
  const raw = source.raw;
  const config: ProjectConfig = {};
  if (raw === undefined || raw === null) return { config, diagnostics: rep.result() };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    rep.error('CONFIG_TYPE', 'expected a mapping of settings (such as `store: .baton/baton.db`) at the top level', { offset: 0, path: '' });
    return { diagnostics: rep.result() };
  }
  const map = raw as Record<string, unknown>;
  const known = Object.keys(FIELDS);
  for (const key of Object.keys(map)) {
    if (Object.hasOwn(FIELDS, key)) continue;
    rep.error(
      'CONFIG_UNKNOWN_FIELD',
      `unknown setting '${key}'${didYouMean(key, known)}`,
      rep.key(map, key),
      `the settings are: ${known.map((k) => `${k} (${FIELDS[k as keyof ProjectConfig]})`).join('; ')}`,
    );
  }
  if (Object.hasOwn(map, 'store')) {
    const store = map.store;
    if (typeof store !== 'string' || store.trim() === '') {
      rep.error('CONFIG_TYPE', '`store` must be a non-empty string: a SQLite file path, a postgres:// URL, or `memory`', rep.value(map, 'store'));
    } else config.store = store;
  }
  parseSettings(map, rep, config);
  const diagnostics = rep.result();
  return diagnostics.some((d) => d.severity === 'error') ? { diagnostics } : { config, diagnostics };
}

export type StoreLocationSource = 'flag' | 'env' | 'config' | 'default';

export interface StoreLocation {
  /** `memory`, an absolute SQLite file path, or a URL. */
  location: string;
  /** Which setting decided it. */
  source: StoreLocationSource;
  /** True when it is the default file inside baton's home (so the home may need creating). */
  inHome: boolean;
}

/** Where runs are kept: `--store` > `BATON_STORE` > the config's `store:` > `<home>/baton.db`. */
export function resolveStoreLocation(project: Project, options: { flag?: string } & ProjectOptions = {}): StoreLocation {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const given = (value: string) => (isFilePath(value) ? path.resolve(cwd, value) : value);
  const flag = nonEmpty(options.flag);
  if (flag !== undefined) return { location: given(flag), source: 'flag', inHome: false };
  const fromEnv = nonEmpty(env.BATON_STORE);
  if (fromEnv !== undefined) return { location: given(fromEnv), source: 'env', inHome: false };
  if (project.config.store !== undefined) return { location: project.config.store, source: 'config', inHome: false };
  checkHomeIsFolder(project.home, nonEmpty(env.BATON_HOME) !== undefined);
  return { location: path.join(project.home, 'baton.db'), source: 'default', inHome: true };
}

/**
 * baton's home must be a folder. A file there would otherwise read as an empty store
 * ("No runs yet") and fail obscurely on the first write.
 */
function checkHomeIsFolder(home: string, fromEnv: boolean): void {
  let info;
  try {
    info = statSync(home);
  } catch {
    return; // missing: created on the first run
  }
  if (info.isDirectory()) return;
  const message = fromEnv
    ? `BATON_HOME is ${home}, which is a file, not a folder: point BATON_HOME at a folder (baton creates it when missing), or unset it`
    : `${home} is a file, not a folder: baton keeps its runs in that folder; move the file aside, or set BATON_HOME to another folder`;
  throw new ConfigError('CONFIG_HOME_NOT_FOLDER', message, { details: { home } });
}

/**
 * Makes sure baton's home exists. When this call creates it, it also writes a `.gitignore`
 * of `*` inside, so run data is never committed by accident. Returns true if it created it.
 */
export function ensureHome(home: string): boolean {
  if (existsSync(home)) return false;
  mkdirSync(home, { recursive: true });
  writeFileSync(path.join(home, '.gitignore'), '# Created by baton: run data stays out of version control.\n*\n');
  return true;
}

/** Not `memory` and not a URL such as `postgres://...`: a file path. */
export function isFilePath(location: string): boolean {
  return location !== 'memory' && !/^[a-z][a-z0-9+.-]*:\/\//i.test(location);
}

function readConfigText(file: string): string {
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_BYTES) {
      throw new ConfigError('CONFIG_TOO_LARGE', `${file} is ${size} bytes; a configuration file is at most ${MAX_CONFIG_BYTES}`);
    }
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ConfigError('CONFIG_READ', `cannot read ${file}: ${message}`, { cause: error, details: { file } });
  }
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
