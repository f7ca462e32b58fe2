/**
 * A user's clone of baton has nothing beside it: its own tests must find everything they
 * read inside the clone. This clones the committed HEAD
 * into a temporary folder and runs there the test that reads vendored data (GitHub's
 * expression conformance cases). A full `npm install && npm test` in the clone would take
 * minutes, so the clone borrows this checkout's node_modules through a symlink.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers.js';

it('a fresh clone, alone in an empty folder, runs the conformance test from its own files', (context) => {
  const git = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
  if (git.status !== 0) {
    context.skip('not a git checkout');
    return;
  }
  const parent = tempDir('baton-clone-');
  const clone = path.join(parent, 'baton');
  const cloned = spawnSync('git', ['clone', '--quiet', '--depth', '1', `file://${ROOT}`, clone], { encoding: 'utf8' });
  expect(cloned.stderr).toBe('');
  expect(cloned.status).toBe(0);
  expect(readdirSync(parent)).toEqual(['baton']);
  expect(existsSync(path.join(clone, 'tests/conformance/github-expressions/LICENSE'))).toBe(true);
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir');

  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  const vitest = path.join(ROOT, 'node_modules/vitest/vitest.mjs');
  const result = spawnSync(process.execPath, [vitest, 'run', '--root', clone, '--reporter', 'verbose', 'src/expr/conformance.test.ts'], {
    cwd: clone,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = result.stdout + result.stderr;
  expect(output).toContain('ran every case');
  expect(output).toMatch(/Tests\s+\d+ passed/);
  expect(output).not.toContain('failed');
  expect(result.status, output).toBe(0);
}, 150_000);
