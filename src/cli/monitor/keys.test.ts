import { describe, expect, it } from 'vitest';
import { parseKeys } from './keys.js';

describe('parseKeys', () => {
  it('reads arrows in both cursor modes, and the keys that move through pages', () => {
    expect(parseKeys('\x1b[A\x1bOB\x1b[5~\x1b[6~\x1b[H\x1bOF\x1b[1~\x1b[4~')).toEqual(['up', 'down', 'pageup', 'pagedown', 'home', 'end', 'home', 'end']);
  });

  it('reads several keys of one chunk in order: typed fast, or pasted', () => {
    expect(parseKeys('jjk\r')).toEqual(['j', 'j', 'k', 'enter']);
    expect(parseKeys('c\x1b[By')).toEqual(['c', 'down', 'y']);
  });

  it('takes a lone ESC for Escape, also before another key', () => {
    expect(parseKeys('\x1b')).toEqual(['escape']);
    expect(parseKeys('\x1bq')).toEqual(['escape', 'q']);
  });

  it('names Enter, Backspace (DEL or BS), Ctrl-C and Tab, and drops other control characters', () => {
    expect(parseKeys('\n\x7f\b\x03\t\x01')).toEqual(['enter', 'backspace', 'backspace', 'ctrl-c', 'tab']);
  });

  it('drops whole a sequence it has no use for, such as F5 or a focus report', () => {
    expect(parseKeys('\x1b[15~q\x1b[Ij\x1b[1;5C')).toEqual(['q', 'j']);
  });
});
