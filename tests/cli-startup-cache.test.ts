/**
 * The whole CLI is one CommonJS bundle (dist/cli.cjs) whose compiled code, on Node 20, is
 * kept per command in the user's cache folder (bin/baton.js), so `baton run` starts with
 * the engine's code already compiled. The cache never changes what a command does, and
 * does not pile up: a new build's cache replaces the old one's.
 */
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { baton, writeWorkflow } from './helpers.js';

const cacheHome = () => mkdtempSync(path.join(tmpdir(), 'baton-cache-'));
const cacheFiles = (home: string) => readdirSync(path.join(home, 'baton')).sort();

// A shell task and a TypeScript one: the bundle finds tsx (and better-sqlite3) from its own place.
const flow = writeWorkflow(`name: cached
tasks:
  - id: hello
    command: echo "hello from sh"
  - id: typed
    type: script
    language: typescript
    code: |
      const n: number = 6 * 7;
      console.log(\`answer \${n}\`);
`);

function runFlow(env: NodeJS.ProcessEnv) {
  const result = baton(['run', flow, '--json'], { env });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const summary = JSON.parse(result.stdout) as { status: string; tasks: Array<{ id: string; outputs?: { stdout?: string } }> };
  return { status: summary.status, outputs: summary.tasks.map((t) => [t.id, t.outputs?.stdout]) };
}

describe.skipIf('enableCompileCache' in module)('compiled code cache of the CLI (Node 20)', () => {
  test('baton run keeps its own cache, which a second run uses to the same effect', () => {
    const home = cacheHome();
    const env = { XDG_CACHE_HOME: home };
    const first = runFlow(env);
    expect(first).toEqual({ status: 'succeeded', outputs: [['hello', 'hello from sh'], ['typed', 'answer 42']] });
    const files = cacheFiles(home);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^cli\.cjs-run-\w+-\d+-\d+-v[\d.]+-\w+\.v8$/);
    const written = readFileSync(path.join(home, 'baton', files[0]));
    expect(written.length).toBeGreaterThan(10_000);

    expect(runFlow(env)).toEqual(first);
    // Accepted as it was: not written again.
    expect(readFileSync(path.join(home, 'baton', files[0])).equals(written)).toBe(true);

    // `baton --version` (and `execute`, run's alias) do not replace run's cache.
    expect(baton(['--version'], { env }).status).toBe(0);
    expect(baton(['execute', flow, '--json'], { env }).status).toBe(0);
    const after = cacheFiles(home);
    expect(after).toHaveLength(2);
    expect(after).toContain(files[0]);
    expect(after.find((f) => f !== files[0])).toMatch(/^cli\.cjs-cli-/);
  });

  test('a damaged cache is ignored and replaced', () => {
    const home = cacheHome();
    const env = { XDG_CACHE_HOME: home };
    const first = runFlow(env);
    const [file] = cacheFiles(home);
    const cache = path.join(home, 'baton', file);
    writeFileSync(cache, Buffer.alloc(4096, 7));
    expect(runFlow(env)).toEqual(first);
    expect(readFileSync(cache).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(cacheFiles(home)).toEqual([file]);
  });

  test("writing a cache removes the same command's caches of older builds, and caches unused for a month", () => {
    const home = cacheHome();
    const env = { XDG_CACHE_HOME: home };
    runFlow(env);
    const [file] = cacheFiles(home);
    // cli.cjs-run-<hash of the bundle's path>-<size>-<mtime>-<node>-<arch>.v8
    const [, , hash] = file.split('-');
    const olderBuild = `cli.cjs-run-${hash}-123-456-v20.0.0-x64.v8`;
    const otherNode = file.replace(/-v[\d.]+-/, '-v20.0.1-');
    const otherCommand = `cli.cjs-history-${hash}-123-456-v20.0.0-x64.v8`;
    const otherCopy = 'cli.cjs-run-zzzzzz-123-456-v20.0.0-x64.v8';
    const goneCopy = 'cli.cjs-run-yyyyyy-123-456-v20.0.0-x64.v8';
    const legacy = 'cli.cjs-123-456-v20.0.0-x64.v8';
    const unrelated = 'notes.txt';
    for (const name of [olderBuild, otherNode, otherCommand, otherCopy, goneCopy, legacy, unrelated]) writeFileSync(path.join(home, 'baton', name), 'x');
    const fortyDaysAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    utimesSync(path.join(home, 'baton', goneCopy), fortyDaysAgo, fortyDaysAgo);
    // A damaged cache is written again, and that write clears out what it replaces.
    writeFileSync(path.join(home, 'baton', file), 'damaged');
    runFlow(env);
    expect(cacheFiles(home)).toEqual([file, otherCommand, otherCopy, unrelated].sort());
  });
});
