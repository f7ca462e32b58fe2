import { describe, expect, test } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1m 30s', 90_000],
    ['1.5s', 1500],
    ['2d', 172_800_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text, 's')).toBe(ms);
  });

  test('a bare number is in the given unit', () => {
    expect(parseDuration(300, 's')).toBe(300_000);
    expect(parseDuration(5000, 'ms')).toBe(5000);
    expect(parseDuration('45', 's')).toBe(45_000);
    expect(parseDuration(0, 's')).toBe(0);
  });

  test.each([['5 minutes'], ['m5'], [''], ['1h-3m'], [-1], [true], [Number.NaN]])('rejects %j', (value) => {
    expect(() => parseDuration(value, 's')).toThrow(expect.objectContaining({ code: 'SPEC_DURATION' }));
  });
});
