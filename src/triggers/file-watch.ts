/**
 * `file_change` triggers: the files under a folder that match a trigger's globs, watched
 * with Node's own watcher (fs.watch, recursive where a glob reaches into subfolders) rather
 * than chokidar: baton needs only "something changed under here", and the folders
 * watched are the globs' own bases (`src/**` watches src/, not the project). Changes
 * that come within the debounce of each other fire once, with every path that changed.
 * baton's store (.baton), .git and node_modules are never matched: a run writing its own
 * store must not fire its workflow again.
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';

export const DEFAULT_DEBOUNCE_MS = 500;
/** At most this many paths are given to one firing; the rest are counted. */
export const MAX_FILES = 1000;
const NEVER = /(^|\/)(\.baton|\.git|node_modules)(\/|$)/;

export interface FileWatch {
  stop(): void;
}

export interface Changes {
  /** Changed paths relative to the folder, with '/' separators, sorted. */
  files: string[];
  /** Paths left out past MAX_FILES. */
  more: number;
}

/**
 * Watches `dir` for changes to files matching `globs` (relative to it) and calls `fire`
 * after `debounceMs` without further changes. `onError` hears of folders that cannot be
 * watched (missing, no permission): the rest are still watched.
 */
export function watchFiles(dir: string, globs: string[], debounceMs: number, fire: (changes: Changes) => void, onError: (message: string) => void): FileWatch {
  const matches = picomatch(globs, { dot: false });
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watchers: FSWatcher[] = [];
  const seen = (base: string) => (_event: string, name: string | Buffer | null) => {
    if (name === null) return;
    const rel = path.posix.join(base === '.' ? '' : base, String(name).split(path.sep).join('/'));
    if (NEVER.test(rel) || !matches(rel)) return;
    changed.add(rel);
    clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };
  const flush = () => {
    const files = [...changed].sort();
    changed.clear();
    fire({ files: files.slice(0, MAX_FILES), more: Math.max(0, files.length - MAX_FILES) });
  };
  for (const { base, recursive } of watchedFolders(globs)) {
    try {
      const watcher = watch(path.join(dir, base), { recursive }, seen(base));
      watcher.on('error', (err) => onError(`watching ${path.join(dir, base)}: ${err.message}`));
      watchers.push(watcher);
    } catch (err) {
      onError(`cannot watch ${path.join(dir, base)} (for ${globs.join(', ')}): ${(err as Error).message}`);
    }
  }
  return {
    stop() {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

/**
 * The folders to watch for `globs`: each glob's static base (the part before its first
 * wildcard), recursively when the rest reaches into subfolders; a base inside another
 * recursive one is not watched twice.
 */
export function watchedFolders(globs: string[]): Array<{ base: string; recursive: boolean }> {
  const wanted = new Map<string, boolean>();
  for (const glob of globs) {
    const scan = picomatch.scan(glob);
    const base = scan.isGlob ? scan.base || '.' : path.posix.dirname(glob);
    const rest = scan.isGlob ? scan.glob : path.posix.basename(glob);
    const recursive = rest.includes('/') || rest.includes('**');
    wanted.set(base, (wanted.get(base) ?? false) || recursive);
  }
  const out: Array<{ base: string; recursive: boolean }> = [];
  for (const [base, recursive] of wanted) {
    const covered = [...wanted].some(([other, deep]) => deep && other !== base && (other === '.' || base.startsWith(`${other}/`)));
    if (!covered) out.push({ base, recursive });
  }
  return out.sort((a, b) => a.base.localeCompare(b.base));
}
