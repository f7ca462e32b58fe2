/**
 * `baton validate` takes a light path (bin/baton.js -> dist/validate.cjs) that loads no
 * store, engine or argument parser, and on Node 20 reuses V8's compiled code from a cache
 * file. It must answer exactly as the full CLI does.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { baton, ROOT } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'baton-validate-'));
const good = path.join(ROOT, 'examples', 'hello.yaml');
const bad = path.join(dir, 'bad.yaml');
writeFileSync(bad, 'name: bad\ntasks:\n  - id: a\n    command: echo\n    depends_on: [nope]\n  - id: a\n    command: echo\n');
const notYaml = path.join(dir, 'not-yaml.yaml');
writeFileSync(notYaml, 'name: x\ntasks: [\n');
const cacheHome = () => mkdtempSync(path.join(tmpdir(), 'baton-cache-'));

describe('baton validate, light path', () => {
  // `--` sends the same command line through the full CLI (commander), for comparison.
  const cases: Array<[string, string[], string[]]> = [
    ['a valid file', [good], ['--', good]],
    ['an invalid file', [bad], ['--', bad]],
    ['a file that does not parse', [notYaml], ['--', notYaml]],
    ['a missing file', [path.join(dir, 'missing.yaml')], ['--', path.join(dir, 'missing.yaml')]],
    ['several files, --json last', [good, bad, '--json'], ['--json', '--', good, bad]],
    ['--json first', ['--json', notYaml], ['--json', '--', notYaml]],
  ];
  test.each(cases)('%s: the same output and exit code as the full CLI', (_, light, full) => {
    const env = { XDG_CACHE_HOME: cacheHome() };
    const viaLight = baton(['validate', ...light], { env });
    const viaFull = baton(['validate', ...full], { env });
    expect(viaLight).toEqual(viaFull);
    expect(viaLight.status).not.toBeNull();
  });

  test('help, unknown options and no files still go to the full CLI', () => {
    expect(baton(['validate', '--help']).stdout).toContain('Usage: baton validate');
    const bogus = baton(['validate', '--bogus', good]);
    expect(bogus.status).toBe(2);
    expect(bogus.stderr).toContain("unknown option '--bogus'");
    expect(baton(['validate']).status).toBe(2);
    expect(baton(['validate', '--json']).status).toBe(2);
  });

  test('the bundle loads no store, engine, process or argument-parsing code', () => {
    const bundle = readFileSync(path.join(ROOT, 'dist', 'validate.cjs'), 'utf8');
    const required = [...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    // node:crypto (~15 ms to load) hashes a workflow for `run`, which validate never shows.
    for (const heavy of ['better-sqlite3', 'node:child_process', 'child_process', 'commander', 'node:net', 'node:http', 'node:crypto', 'crypto']) {
      expect(required).not.toContain(heavy);
    }
  });

  // Node >= 22.1 keeps compiled code itself (module.enableCompileCache); the cache file is for Node 20.
  test.skipIf('enableCompileCache' in module)('compiled code is cached in the user cache folder, and a bad cache is only ignored', () => {
    const home = cacheHome();
    const first = baton(['validate', good], { env: { XDG_CACHE_HOME: home } });
    expect(first).toMatchObject({ status: 0, stderr: '' });
    const files = readdirSync(path.join(home, 'baton'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^validate\.cjs-validate-\w+-\d+-\d+-v[\d.]+-\w+\.v8$/);
    const cache = path.join(home, 'baton', files[0]);
    expect(readFileSync(cache).length).toBeGreaterThan(1000);

    const again = baton(['validate', good], { env: { XDG_CACHE_HOME: home } });
    expect(again).toEqual(first);

    // Garbage in the cache file: V8 rejects it, baton compiles as usual and writes a good one.
    writeFileSync(cache, Buffer.alloc(4096, 7));
    expect(baton(['validate', good], { env: { XDG_CACHE_HOME: home } })).toEqual(first);
    expect(readFileSync(cache).equals(Buffer.alloc(4096, 7))).toBe(false);

    // A cache folder that cannot be made (XDG_CACHE_HOME is a file) changes nothing either.
    const file = path.join(home, 'a-file');
    writeFileSync(file, '');
    expect(baton(['validate', good], { env: { XDG_CACHE_HOME: file } })).toEqual(first);
  });
});
