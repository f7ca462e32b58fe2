import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOutputs } from './outputs-file.js';
import { OutputsWatch } from './outputs-watch.js';
import { checkProgress, parseProgressValue, type ProgressInput } from './progress-input.js';
import { testIO } from './test-support.js';

describe('progress reports', () => {
  it('reads a percentage, with or without %, and items done of a total', () => {
    expect(parseProgressValue('37')).toEqual({ percent: 37 });
    expect(parseProgressValue(' 37.5% ')).toEqual({ percent: 37.5 });
    expect(parseProgressValue('37/120')).toEqual({ done: 37, total: 120, percent: 30.8 });
    expect(parseProgressValue('0/3')).toEqual({ done: 0, total: 3, percent: 0 });
  });

  it('refuses what is not a report, saying what is', () => {
    expect(parseProgressValue('abc')).toMatch(/progress="abc" is not a percentage .* nor items done of a total/);
    expect(parseProgressValue('150')).toMatch(/150 is not a percentage from 0 to 100/);
    expect(parseProgressValue('-5')).toMatch(/not a percentage/);
    expect(parseProgressValue('7/3')).toMatch(/done must be from 0 to total/);
    expect(parseProgressValue('1/0')).toMatch(/total above 0/);
  });

  it('checks what code reports', () => {
    expect(checkProgress(40)).toEqual({ percent: 40 });
    expect(checkProgress({ done: 3, total: 4, message: ' copying b ' })).toEqual({ done: 3, total: 4, percent: 75, message: 'copying b' });
    expect(checkProgress({ message: 'warming up' })).toEqual({ message: 'warming up' });
    expect(checkProgress(Number.NaN)).toMatch(/NaN is not a percentage/);
    expect(checkProgress({ done: 3 })).toMatch(/both must be numbers/);
    expect(checkProgress('50')).toMatch(/not "50"/);
    expect(checkProgress({})).toMatch(/needs a percent/);
    expect(checkProgress({ message: 'x'.repeat(500) })).toEqual({ message: 'x'.repeat(200) });
  });

  it('keeps progress lines out of the outputs', () => {
    expect(parseOutputs('progress=40\nprogress_message=copying\nresult=ok\nprogress=abc\n')).toEqual({ result: 'ok' });
  });
});

describe('outputs file watch', () => {
  const watch = (file: string) => {
    const reports: ProgressInput[] = [];
    const warnings: string[] = [];
    // Polled by hand: a long interval that never fires in a test.
    const w = new OutputsWatch(file, (input) => reports.push(input), (line) => warnings.push(line), 3_600_000);
    return { w, reports, warnings, look: () => (w as unknown as { look(final: boolean): void }).look(false) };
  };

  it('reads only what was appended since it last looked, and a last line without a newline when the task ends', () => {
    const file = join(testIO().baseDir, 'out');
    const { w, reports, look } = watch(file);
    look();
    expect(reports).toEqual([]);
    writeFileSync(file, 'progress=10\nprogress=2');
    look();
    expect(reports).toEqual([{ percent: 10 }]);
    appendFileSync(file, '0\nresult=ok\nprogress_message=half way\nprogress=5/10');
    look();
    expect(reports).toEqual([{ percent: 10 }, { percent: 20 }, { message: 'half way' }]);
    w.stop();
    expect(reports.at(-1)).toEqual({ done: 5, total: 10, percent: 50 });
  });

  it('skips multi-line values and JSON files, and warns once of lines that are not reports', () => {
    const file = join(testIO().baseDir, 'out');
    writeFileSync(file, 'notes<<EOF\nprogress=99\nEOF\nprogress=abc\nprogress=150\nprogress=30%\n');
    const { w, reports, warnings } = watch(file);
    w.stop();
    expect(reports).toEqual([{ percent: 30 }]);
    expect(warnings).toEqual([expect.stringMatching(/^baton: PROGRESS_INVALID: progress="abc" is not a percentage.*; ignored \(this warning is shown once per attempt\)\n$/)]);
    const json = join(testIO().baseDir, 'json');
    writeFileSync(json, '{\n"progress": 1\n}\nprogress=40\n');
    const second = watch(json);
    second.w.stop();
    expect(second.reports).toEqual([]);
  });

  it('reads a file written over from its start again', () => {
    const file = join(testIO().baseDir, 'out');
    const { w, reports, look } = watch(file);
    writeFileSync(file, 'progress=10\nprogress=20\n');
    look();
    writeFileSync(file, 'progress=5\n');
    w.stop();
    expect(reports).toEqual([{ percent: 10 }, { percent: 20 }, { percent: 5 }]);
  });
});
