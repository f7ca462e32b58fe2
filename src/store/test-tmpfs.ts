/**
 * A small tmpfs for tests of a full disk, mounted before the file's tests and unmounted
 * after. Mounting needs root; where it fails, `skipReason` says why and the tests skip.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';

export interface SmallDisk {
  /** Where the tmpfs is mounted. */
  readonly dir: string;
  /** Undefined once mounted; otherwise why it could not be. */
  skipReason(): string | undefined;
  /** Gives the tmpfs a new size (e.g. '64m'), as freeing space would. */
  resize(size: string): void;
}

export function useSmallTmpfs(prefix: string, size: string): SmallDisk {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  let reason: string | undefined = 'not mounted yet';
  beforeAll(() => {
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
    reason = result.status === 0 ? undefined : `cannot mount a small tmpfs here (needs root): ${result.stderr || result.error?.message || ''}`;
  });
  afterAll(() => {
    if (reason === undefined) spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    skipReason: () => reason,
    resize(newSize) {
      const result = spawnSync('mount', ['-o', `remount,size=${newSize}`, dir], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`cannot resize the tmpfs at ${dir}: ${result.stderr}`);
    },
  };
}
