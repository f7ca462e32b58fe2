import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { watchFolders, type FolderWatch } from './folder-watch.js';

const open: FolderWatch[] = [];
afterEach(() => {
  for (const w of open.splice(0)) w.close();
});

/** A project folder with `files` (paths relative to it, '/'-separated), and a watch of it recording what it reports. */
function watched(files: string[]) {
  const root = mkdtempSync(path.join(tmpdir(), 'baton-folder-watch-'));
  for (const file of files) write(root, file);
  const seen: string[] = [];
  const failures: string[] = [];
  const waiters: Array<{ file: string; resolve: () => void }> = [];
  const watch = watchFolders(
    root,
    (file) => {
      const rel = file.split(path.sep).join('/');
      seen.push(rel);
      for (const w of waiters.filter((one) => one.file === rel)) w.resolve();
    },
    (message) => failures.push(message),
  );
  open.push(watch);
  /** Resolves once `file` was reported (now or before). */
  const reported = (file: string) =>
    new Promise<void>((resolve, reject) => {
      if (seen.includes(file)) return resolve();
      const timer = setTimeout(() => reject(new Error(`${file} was not reported; seen: ${seen.join(', ')}`)), 10_000);
      waiters.push({ file, resolve: () => (clearTimeout(timer), resolve()) });
    });
  return { root, seen, failures, watch, reported };
}

function write(root: string, file: string, text = 'x'): void {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
}

describe('watchFolders', () => {
  test('reports changes in the folders the workflow scan walks, and none from .baton, .git, node_modules or deeper than the scan goes', async () => {
    const w = watched(['flow.yaml', 'ops/deploy.yaml', 'a/b/c/d/deep.yaml', 'a/b/c/d/e/too-deep.yaml', '.baton/baton.db-wal', '.git/index', 'node_modules/pkg/index.js']);
    // Written first: inotify reports in order, so once the last write below is seen, these would have been.
    write(w.root, '.baton/baton.db-wal', 'commit');
    write(w.root, '.git/index', 'staged');
    write(w.root, 'node_modules/pkg/index.js', 'installed');
    write(w.root, 'a/b/c/d/e/too-deep.yaml', 'name: x');
    write(w.root, 'a/b/c/d/deep.yaml', 'name: deep');
    write(w.root, 'ops/deploy.yaml', 'name: deploy');
    write(w.root, 'flow.yaml', 'name: flow');
    await w.reported('flow.yaml');
    await w.reported('ops/deploy.yaml');
    await w.reported('a/b/c/d/deep.yaml');
    expect(w.seen.filter((f) => /^(\.baton|\.git|node_modules)\/|too-deep/.test(f))).toEqual([]);
    expect(w.failures).toEqual([]);
  });

  test('a folder that appears is watched from then on, and the files moved in with it are reported; one removed is forgotten', async () => {
    const w = watched(['flow.yaml']);
    const outside = mkdtempSync(path.join(tmpdir(), 'baton-folder-watch-outside-'));
    write(outside, 'moved/inner/hook.yaml', 'name: hook');
    renameSync(path.join(outside, 'moved'), path.join(w.root, 'moved'));
    await w.reported('moved/inner/hook.yaml');
    // Its folders are watched now: a change in them is seen.
    write(w.root, 'moved/inner/hook.yaml', 'name: hook2');
    write(w.root, 'moved/inner/other.yaml', 'name: other');
    await w.reported('moved/inner/other.yaml');
    rmSync(path.join(w.root, 'moved'), { recursive: true });
    write(w.root, 'flow.yaml', 'name: flow2');
    await w.reported('flow.yaml');
    expect(w.failures).toEqual([]);
  });

  test('after close, nothing is reported', async () => {
    const w = watched(['flow.yaml', 'ops/deploy.yaml']);
    w.watch.close();
    write(w.root, 'ops/deploy.yaml', 'name: changed');
    // Every watch of this process reads one inotify queue, in order: once another watch saw a later change, the closed one would have seen its own.
    const again = watched([]);
    write(again.root, 'flow.yaml');
    await again.reported('flow.yaml');
    expect(w.seen).toEqual([]);
  });

  test('a root that cannot be watched throws', () => {
    expect(() => watchFolders(path.join(tmpdir(), 'baton-no-such-folder-', String(process.pid)), () => {}, () => {})).toThrow(/ENOENT/);
  });
});
