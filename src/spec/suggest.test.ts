import { expect, test } from 'vitest';
import { closest, didYouMean, editDistance } from './suggest.js';

test('edit distance counts a swap of neighbours as one edit', () => {
  expect(editDistance('build', 'biuld')).toBe(1);
  expect(editDistance('depends_on', 'depend_on')).toBe(1);
  expect(editDistance('kitten', 'sitting')).toBe(3);
  expect(editDistance('abc', 'xyz', 1)).toBe(2);
});

test('closest only suggests likely typos', () => {
  expect(closest('depnds_on', ['depends_on', 'on_success'])).toBe('depends_on');
  expect(closest('zzz', ['attempts', 'delay'])).toBeUndefined();
  expect(closest('Shell', ['shell', 'http'])).toBe('shell');
  expect(didYouMean('shel', ['shell'])).toBe(" (did you mean 'shell'?)");
  expect(didYouMean('docker', ['shell', 'http'])).toBe('');
});
