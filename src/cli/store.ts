/**
 * Opening the store from a command. Imported by main.ts for `storeOption()`, so this file
 * stays light: the config reader and the store (SQLite driver included) load only when a
 * command actually opens a store.
 */
import { Option } from 'commander';
import type { OpenOptions } from '../runs/project-store.js';
import type { Store } from '../store/store.js';

export interface StoreFlags {
  /** `--store <location>`; default: BATON_STORE, the config's `store:`, `.baton/baton.db`. */
  store?: string;
}

/** `--store <location>`, the same on every command that reads or writes runs. */
export function storeOption(): Option {
  return new Option(
    '--store <location>',
    'where runs are kept: a SQLite file, a postgres:// URL, or `memory` (default: $BATON_STORE, else `store:` in baton.config.yaml, else .baton/baton.db)',
  );
}

/** Finds the project, works out the store location and opens it (runs/project-store.ts). Errors are BatonErrors for reportFatal. */
export async function openCliStore(flags: StoreFlags, options: Omit<OpenOptions, 'flag'> = {}): Promise<Store> {
  const { openProjectStore } = await import('../runs/project-store.js');
  return openProjectStore({ ...options, flag: flags.store });
}
