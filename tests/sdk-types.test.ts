import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

/** Compiles files inside the package, where `import ... from 'baton'` resolves to its own declarations (package.json exports). */
function typecheck(...files: string[]) {
  return spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', ...files], {
    cwd: root,
    encoding: 'utf8',
  });
}

describe("the 'baton' package's types", () => {
  it('are built at install (npm ci runs prepare: build:types)', () => {
    expect(existsSync(path.join(root, 'types', 'sdk', 'index.d.ts'))).toBe(true);
  });

  it('type a workflow: inputs from their declarations, step and map results, waits; misuse is an error', () => {
    const result = typecheck('tests/fixtures/sdk-types/typed.ts', 'examples/rotate-certs.ts');
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);
});
