/**
 * The files a data_processor reads: its input globs expanded, relative to the workflow
 * file's folder, as file triggers read theirs (picomatch; `*` does not match a name
 * starting with `.`, and folders starting with `.` are not searched). Only the folder
 * before a glob's first wildcard is walked, and into subfolders only when the glob goes
 * there (`**`, or a `/` after the wildcard). Each file once, in path order.
 */
import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import type { RecordFormat } from '../spec/model.js';
import { ExecutorError } from './errors.js';

/** The files `globs` match under `baseDir`, sorted; `skip` says which to leave out (the output, its temporary files). */
export async function inputFiles(globs: string[], baseDir: string, skip: (file: string) => boolean): Promise<string[]> {
  const found = new Set<string>();
  for (const given of globs) {
    const glob = given.replace(/^(\.\/)+/, '');
    const scan = picomatch.scan(glob);
    if (!scan.isGlob) {
      const file = path.resolve(baseDir, glob);
      const info = await stat(file).catch(() => undefined);
      if (info?.isDirectory()) {
        throw new ExecutorError('DATA_INPUT', `the input ${given} is a folder (${file}); name the files in it with a glob, e.g. ${path.posix.join(given, '*.json')}`, { retryable: false });
      }
      if (info?.isFile() && !skip(file)) found.add(file);
      continue;
    }
    // Absolute globs are matched against absolute paths, relative ones against paths relative
    // to the folder, so that wildcard characters in the folder's own name mean nothing.
    const matches = picomatch(glob, { dot: false });
    const relativeTo = path.isAbsolute(glob) ? undefined : baseDir;
    const deep = scan.glob.includes('/') || scan.isGlobstar;
    for await (const file of walk(path.resolve(baseDir, scan.base || '.'), deep)) {
      const candidate = relativeTo === undefined ? file : path.relative(relativeTo, file).split(path.sep).join('/');
      if (matches(candidate) && !skip(file)) found.add(file);
    }
  }
  return [...found].sort();
}

/** Files under `dir` (following links to files), into subfolders when `deep`; none when `dir` is missing. */
async function* walk(dir: string, deep: boolean): AsyncGenerator<string> {
  let entries;
  try {
    entries = await opendir(dir);
  } catch {
    return;
  }
  for await (const entry of entries) {
    const file = path.join(dir, entry.name);
    if (entry.isFile()) yield file;
    else if (entry.isSymbolicLink()) {
      if ((await stat(file).catch(() => undefined))?.isFile()) yield file;
    } else if (entry.isDirectory() && deep && !entry.name.startsWith('.')) {
      yield* walk(file, deep);
    }
  }
}

/** How a file's records are read when the task names no format: by its extension. */
export function formatOf(file: string, given: RecordFormat | undefined): RecordFormat {
  if (given !== undefined) return given;
  const extension = path.extname(file).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.jsonl' || extension === '.ndjson') return 'jsonl';
  return 'lines';
}
