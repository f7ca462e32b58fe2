/**
 * Watching the folders that hold a project's workflows (the ones the scan of
 * workflow-files.ts walks) for changes, without Node's `fs.watch(dir, {recursive: true})`.
 *
 * On Linux, Node (20 and later) makes a recursive watch in JavaScript: it stats and watches
 * every file and folder under the root, and reads a folder again whenever something in it
 * changes. baton serve watches the project's root by default, so that put a watch on every
 * file of node_modules (one inotify watch each, up to the user's limit), and, since the
 * store lives in .baton/, cost a stat and a folder read on every commit of the store:
 * several for each run started, on the path of every webhook and API request.
 *
 * Here each folder the scan walks is watched on its own (not recursively): hidden folders
 * (.baton, .git), node_modules and the like, and folders deeper than the scan goes, never.
 * A folder that appears later is watched from then on, and the files it holds are
 * reported (it may have been moved in whole); one that goes is forgotten.
 */
import { readdirSync, statSync, watch, type Dirent, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { walksInto } from './workflow-files.js';

/** Folders watched at most (the scan itself looks at 5,000 entries). */
export const MAX_WATCHED_FOLDERS = 1000;

export interface FolderWatch {
  close(): void;
}

/**
 * Calls `changed` with the path (relative to `root`) of each entry that changes in the
 * folders watched. `failed` hears of what cannot be watched (the limit of folders, the
 * system's limit of watches); the rest is still watched. Throws when `root` itself cannot
 * be watched.
 */
export function watchFolders(root: string, changed: (file: string) => void, failed: (message: string) => void): FolderWatch {
  /** Each folder watched, by its path relative to the root ('' for the root). */
  const watchers = new Map<string, FSWatcher>();
  let closed = false;
  let full = false;

  const forget = (folder: string) => {
    for (const [key, watcher] of watchers) {
      if (key === folder || key.startsWith(folder + path.sep)) {
        watcher.close();
        watchers.delete(key);
      }
    }
  };

  /** Something changed in `folder` (at `depth`): say so, and watch or forget a folder that came or went. */
  const seen = (folder: string, depth: number, name: string) => {
    const entry = path.join(folder, name);
    changed(entry);
    if (!walksInto(name, depth)) return;
    let isFolder = false;
    try {
      isFolder = statSync(path.join(root, entry)).isDirectory();
    } catch {
      // Gone: forgotten below.
    }
    if (isFolder) add(entry, depth + 1, true);
    else if (watchers.has(entry)) forget(entry);
  };

  /** Watches `folder` and the folders in it the scan would walk; with `announce`, reports the files found. */
  const add = (folder: string, depth: number, announce: boolean) => {
    if (closed || watchers.has(folder)) return;
    if (watchers.size >= MAX_WATCHED_FOLDERS) {
      if (!full) failed(`watching only ${MAX_WATCHED_FOLDERS} folders under ${root}: changes in ${path.join(root, folder)} and others are not seen`);
      full = true;
      return;
    }
    const dir = path.join(root, folder);
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (name !== null) seen(folder, depth, String(name));
      });
    } catch (err) {
      if (folder === '') throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') failed(`cannot watch ${dir}: ${(err as Error).message}`);
      return;
    }
    watcher.on('error', (err) => {
      forget(folder);
      failed(`watching ${dir}: ${err.message}`);
    });
    watchers.set(folder, watcher);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // gone already: its watcher hears of it
    }
    for (const entry of entries) {
      const inside = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (walksInto(entry.name, depth)) add(inside, depth + 1, announce);
      } else if (announce) {
        changed(inside);
      }
    }
  };

  add('', 0, false);
  return {
    close() {
      closed = true;
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
