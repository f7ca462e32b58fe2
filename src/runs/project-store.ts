/**
 * Opening the project's store, for every front end: the project is found from the working
 * folder, the store's location from `--store`, BATON_STORE, the config's `store:` or the
 * default file in baton's home (config/project.ts).
 */
import { existsSync } from 'node:fs';
import { ensureHome, isFilePath, loadProject, resolveStoreLocation } from '../config/project.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';

export interface OpenOptions {
  /** A location given by the caller (`--store`); default: BATON_STORE, the config's, the default file. */
  flag?: string;
  /**
   * Create the store (and baton's home) when it does not exist yet; default false. A reader
   * opens a missing store as an empty one instead, so looking leaves no trace.
   */
  create?: boolean;
  /** Default process.cwd() / process.env. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Finds the project, works out the store location and opens it. Errors are BatonErrors. */
export async function openProjectStore(options: OpenOptions = {}): Promise<Store> {
  const context = { cwd: options.cwd, env: options.env };
  const project = loadProject(context);
  const { location, inHome } = resolveStoreLocation(project, { ...context, flag: options.flag });
  if (isFilePath(location) && !existsSync(location) && options.create !== true) {
    const empty = openStore('memory');
    return { ...empty, location };
  }
  if (inHome && options.create === true) ensureHome(project.home);
  return openStore(location);
}
