/**
 * Where this copy of baton is installed: the folder of its package.json, found by walking up
 * from this module (dist/cli.cjs in a build, src/config/ when run from source in tests).
 * Files that ship with baton (bin/baton.js, built-in skills, templates) are found from it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let found: string | undefined;

/** The installation's root folder, or undefined when this copy is incomplete. */
export function installDir(): string | undefined {
  if (found !== undefined) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    if (existsSync(path.join(dir, 'bin', 'baton.js')) && existsSync(path.join(dir, 'package.json'))) return (found = dir);
    dir = path.dirname(dir);
  }
  return undefined;
}
