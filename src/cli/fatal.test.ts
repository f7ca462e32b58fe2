import { CommanderError } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatonError } from '../observability/errors.js';
import { StoreError } from '../store/errors.js';
import { reportFatal } from './fatal.js';

/** What reportFatal wrote, per stream, and the exit code it chose. */
function report(err: unknown, json = false) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const code = reportFatal(err, { json });
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('reportFatal', () => {
  it('takes the exit code from the category table', () => {
    expect(report(new StoreError('STORE_BUSY', 'locked')).code).toBe(3);
    expect(report(new StoreError('STORE_DISK_FULL', 'full')).code).toBe(3);
    expect(report(new StoreError('STORE_RUN_NOT_FOUND', 'no run')).code).toBe(2);
    expect(report(new BatonError('RUN_HELD', 'held')).code).toBe(2);
    expect(report(new BatonError('SOME_NEW_CODE', 'x')).code).toBe(3);
  });

  it('prints a BatonError in one line with its code, and as JSON with its category when asked', () => {
    const r = report(new StoreError('STORE_BUSY', 'x.db stayed locked', { details: { file: 'x.db' } }), true);
    expect(r.stderr).toBe('baton: x.db stayed locked [STORE_BUSY]\n');
    expect(JSON.parse(r.stdout)).toEqual({ error: { code: 'STORE_BUSY', category: 'unavailable', message: 'x.db stayed locked', details: { file: 'x.db' } } });
    // One line: JSON, and JSON Lines for `logs --json`.
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(report(new StoreError('STORE_BUSY', 'locked')).stdout).toBe('');
  });

  it('a bug (not a BatonError) exits 3 and prints its stack, asking to report it', () => {
    const bug = new RangeError('Maximum call stack size exceeded');
    const r = report(bug, true);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('baton: internal error, please report it:\nRangeError: Maximum call stack size exceeded\n    at ');
    expect(JSON.parse(r.stdout).error).toEqual({ code: 'UNKNOWN', category: 'internal', message: 'Maximum call stack size exceeded' });
  });

  it('usage errors from the argument parser exit 2; --help and --version exit 0', () => {
    const unknown = report(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--bogus'"), true);
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'CLI_USAGE', category: 'usage', message: "unknown option '--bogus'" });
    expect(report(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')).code).toBe(0);
    expect(report(new CommanderError(0, 'commander.version', '0.1.0')).code).toBe(0);
  });
});
