import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATEGORY_OF_CODE, categoryOf, exitCodeOf, httpStatusOf } from './error-categories.js';
import { BatonError } from './errors.js';

const SRC = join(import.meta.dirname, '..');
const CODE = String.raw`'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|UNKNOWN)'`;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const sources = sourceFiles(SRC).map((file) => ({ file: relative(SRC, file), text: readFileSync(file, 'utf8') }));

/** BatonError and every class that extends it, directly or not, in any layer. */
function errorClasses(): Set<string> {
  const classes = new Set(['BatonError']);
  const extendsRe = /class\s+(\w+)\s+extends\s+(\w+)/g;
  for (let grew = true; grew; ) {
    grew = false;
    for (const { text } of sources) {
      for (const [, name, base] of text.matchAll(extendsRe)) {
        if (classes.has(base!) && !classes.has(name!)) {
          classes.add(name!);
          grew = true;
        }
      }
    }
  }
  return classes;
}

/** code -> where it is used, found by the ways src/ passes a code to an error. */
function usedCodes(kinds: { constructors: boolean; literals: boolean }): Map<string, string> {
  const found = new Map<string, string>();
  const add = (code: string, file: string) => found.has(code) || found.set(code, file);
  const classes = [...errorClasses()].join('|');
  // `new StoreError('STORE_BUSY', ...)` and a subclass's `super('SPEC_INVALID', ...)`, over line breaks too.
  const constructorRe = new RegExp(String.raw`(?:new\s+(?:${classes})|super)\(\s*${CODE}`, 'g');
  // `{ code: 'EXEC_TIMEOUT', ... }`: the errors that TaskFailed/RunFailed events and diagnostics carry.
  const fieldRe = new RegExp(String.raw`\bcode:\s*${CODE}`, 'g');
  // Codes passed through helpers (`d.error('SPEC_CYCLE', ...)`, a union of codes): any literal with a known prefix.
  const prefixes = new Set([...CATEGORY_OF_CODE.keys()].map((code) => code.split('_')[0]));
  const literalRe = new RegExp(CODE, 'g');
  for (const { file, text } of sources) {
    if (kinds.constructors) for (const [, code] of text.matchAll(constructorRe)) add(code!, file);
    if (!kinds.literals) continue;
    for (const [, code] of text.matchAll(fieldRe)) add(code!, file);
    for (const [, code] of text.matchAll(literalRe)) if (prefixes.has(code!.split('_')[0]!) && code!.includes('_')) add(code!, file);
  }
  return found;
}

describe('the error category table', () => {
  it('finds error constructors across layers, over line breaks and in subclasses', () => {
    const codes = usedCodes({ constructors: true, literals: false });
    // One of each shape: a multi-line constructor, a helper's, a subclass's super(), a plain BatonError.
    for (const code of ['STORE_DISK_FULL', 'STORE_BUSY', 'RUN_HELD', 'SPEC_INVALID', 'CONFIG_INVALID', 'EXEC_SPAWN', 'EXPR_EVAL', 'CLI_BAD_SINCE']) {
      expect(codes.has(code), code).toBe(true);
    }
    expect(codes.size).toBeGreaterThan(30);
  });

  it('gives every error code used in src/ a category', () => {
    const missing = [...usedCodes({ constructors: true, literals: true })]
      .filter(([code]) => !CATEGORY_OF_CODE.has(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(missing, 'add these codes to src/observability/error-codes.ts').toEqual([]);
  });

  it('maps categories to exit codes and HTTP statuses', () => {
    expect([exitCodeOf('CLI_BAD_NUMBER'), httpStatusOf('CLI_BAD_NUMBER')]).toEqual([2, 400]);
    expect([exitCodeOf('SPEC_INVALID'), httpStatusOf('SPEC_INVALID')]).toEqual([2, 422]);
    expect([exitCodeOf('STORE_RUN_NOT_FOUND'), httpStatusOf('STORE_RUN_NOT_FOUND')]).toEqual([2, 404]);
    expect([exitCodeOf('RUN_HELD'), httpStatusOf('RUN_HELD')]).toEqual([2, 409]);
    expect([exitCodeOf('STORE_DISK_FULL'), httpStatusOf('STORE_DISK_FULL')]).toEqual([3, 503]);
    expect([exitCodeOf('STORE_BUSY'), httpStatusOf('STORE_BUSY')]).toEqual([3, 503]);
    expect([exitCodeOf('EXEC_EXIT_CODE'), httpStatusOf('EXEC_EXIT_CODE')]).toEqual([1, 200]);
    expect([exitCodeOf('UNKNOWN'), httpStatusOf('UNKNOWN')]).toEqual([3, 500]);
  });

  it('takes unknown codes and errors that are not BatonErrors as internal', () => {
    expect(categoryOf('NO_SUCH_CODE')).toBe('internal');
    expect(categoryOf(new BatonError('NO_SUCH_CODE', 'x'))).toBe('internal');
    expect(categoryOf(new BatonError('RUN_HELD', 'x'))).toBe('conflict');
    expect(categoryOf(Object.assign(new Error('enoent'), { code: 'STORE_BUSY' }))).toBe('internal');
    expect(categoryOf(new RangeError('Maximum call stack size exceeded'))).toBe('internal');
    expect(categoryOf(undefined)).toBe('internal');
  });
});
