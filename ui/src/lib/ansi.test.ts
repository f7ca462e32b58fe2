import { describe, expect, test } from 'vitest';
import { highlightSegments, matchingLines, parseAnsi, segmentClasses, stripAnsi } from './ansi.js';

describe('parseAnsi', () => {
  test('colours and bold become styles; the reset ends them; the escapes themselves are gone', () => {
    const { segments } = parseAnsi('plain \x1b[31mred \x1b[1mbold red\x1b[0m back');
    expect(segments).toEqual([
      { text: 'plain ', style: {} },
      { text: 'red ', style: { fg: 1 } },
      { text: 'bold red', style: { fg: 1, bold: true } },
      { text: ' back', style: {} },
    ]);
  });

  test('bright, background, 256 and true colours', () => {
    expect(parseAnsi('\x1b[92;44mx').segments[0].style).toEqual({ fg: 10, bg: 4 });
    expect(parseAnsi('\x1b[38;5;196mx').segments[0].style).toEqual({ fg: '#ff0000' });
    expect(parseAnsi('\x1b[48;2;1;2;3mx').segments[0].style).toEqual({ bg: '#010203' });
  });

  test('a style carries over to the next line, and markup is only text', () => {
    const first = parseAnsi('\x1b[32mgreen');
    const second = parseAnsi('<script>alert(1)</script>', first.end);
    expect(second.segments).toEqual([{ text: '<script>alert(1)</script>', style: { fg: 2 } }]);
  });

  test('cursor moves and OSC titles are dropped', () => {
    expect(stripAnsi('a\x1b[2Kb\x1b]0;title\x07c')).toBe('abc');
  });

  test('classes for the 16 colours, a property for the others', () => {
    expect(segmentClasses({ fg: 1, bold: true })).toEqual({ classes: 'ansi-fg-1 ansi-bold' });
    expect(segmentClasses({ fg: '#ff0000' })).toEqual({ classes: '', color: '#ff0000' });
  });
});

describe('search', () => {
  test('highlightSegments marks every case-insensitive match, across segments, keeping their styles', () => {
    expect(highlightSegments(parseAnsi('Error: an error').segments, 'error').map((p) => [p.text, p.hit])).toEqual([
      ['Error', true],
      [': an ', false],
      ['error', true],
    ]);
    expect(highlightSegments(parseAnsi('\x1b[31mline\x1b[0m 3 and line 4').segments, 'line 3')).toEqual([
      { text: 'line', style: { fg: 1 }, hit: true },
      { text: ' 3', style: {}, hit: true },
      { text: ' and line 4', style: {}, hit: false },
    ]);
    expect(highlightSegments(parseAnsi('abc').segments, '')).toEqual([{ text: 'abc', style: {}, hit: false }]);
  });

  test('matchingLines looks at the text without escapes', () => {
    expect(matchingLines(['ok', '\x1b[31mfail\x1b[0med', 'FAIL again', 'x'], 'fail')).toEqual([1, 2]);
    expect(matchingLines(['\x1b[31m'], '31')).toEqual([]);
  });
});
