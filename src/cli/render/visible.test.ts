import { describe, expect, it } from 'vitest';
import { visible } from './visible.js';

describe('visible', () => {
  it('leaves ordinary text alone, including non-ASCII', () => {
    expect(visible('deploy[qa] ✓ déjà 日本')).toBe('deploy[qa] ✓ déjà 日本');
  });

  it('shows OSC, CSI, BEL, C1 and bidi controls as escapes, so none reaches the terminal', () => {
    expect(visible('\x1b]0;pwned\x07\x1b[2J')).toBe('\\x1b]0;pwned\\x07\\x1b[2J');
    expect(visible('a\x9b2Jb\x90q\x9c')).toBe('a\\u009b2Jb\\u0090q\\u009c');
    expect(visible('x\u202eevil\x7f\x00')).toBe('x\\u202eevil\\x7f\\x00');
  });

  it('one line by default; with lines, keeps \\n and \\t and reads \\r\\n as \\n', () => {
    expect(visible('a\nb\tc\rd')).toBe('a\\nb\\tc\\rd');
    expect(visible('a\r\nb\tc\rd', { lines: true })).toBe('a\nb\tc\\rd');
  });

  it('with colors, keeps SGR sequences only', () => {
    expect(visible('\x1b[31mred\x1b[0m \x1b[1;4mx\x1b[m \x1b[2J \x1b]8;;http://x\x1b\\', { colors: true })).toBe(
      '\x1b[31mred\x1b[0m \x1b[1;4mx\x1b[m \\x1b[2J \\x1b]8;;http://x\\x1b\\',
    );
  });
});
