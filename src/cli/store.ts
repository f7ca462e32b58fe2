/**
 * Opening the store from a command. Imported by main.ts for `storeOption()`, so this file
 * stays light: the config reader and the store (SQLite driver included) load only when a
 * command actually opens a store.
 */
import { Option } from 'commander';
import type { Store } from '../store/store.js';

export interface StoreFlags {
  /** `--store <location>`; default: BATON_STORE, the config's `store:`, `.baton/baton.db`. */
  store?: string;
}

/** `--store <location>`, the same on every command that reads or writes runs. */
export function storeOption(): Option {
  return new Option(
    '--store <location>',
    'where runs are kept: a SQLite file or `memory` (default: $BATON_STORE, else `store:` in baton.config.yaml, else .baton/baton.db)',
  );
}

export interface OpenOptions {
  /**
   * Create the store (and baton's home) when it does not exist yet; default false. Commands
   * that only read open a missing store as an empty one instead, so looking leaves no trace.
   */
  create?: boolean;
  /** Default process.cwd() / process.env. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Finds the project, works out the store location and opens it. Errors are BatonErrors for reportFatal. */
export async function openCliStore(flags: StoreFlags, options: OpenOptions = {}): Promise<Store> {
  const [{ loadProject, resolveStoreLocation, ensureHome, isFilePath }, { existsSync }, { openStore }] = await Promise.all([
    import('../config/project.js'),
    import('node:fs'),
    import('../store/open.js'),
  ]);
  const context = { cwd: options.cwd, env: options.env };
  const project = loadProject(context);
  const { location, inHome } = resolveStoreLocation(project, { ...context, flag: flags.store });
  if (isFilePath(location) && !existsSync(location) && options.create !== true) {
    const empty = await openStore('memory');
    return { location, runs: empty.runs, logs: empty.logs, close: () => empty.close() };
  }
  if (inHome && options.create === true) ensureHome(project.home);
  return openStore(location);
}
