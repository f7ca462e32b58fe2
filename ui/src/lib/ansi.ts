/**
 * ANSI escape sequences in log text, as segments to render: the text of each run with the
 * colours and weight its SGR codes (`ESC [ ... m`) set. The UI renders segments as elements
 * with classes (`ansi-fg-1`, `ansi-bold`), never as HTML, so a log line can hold `<script>`
 * and still only be text. Other escape sequences (cursor moves, OSC titles) are dropped.
 */

export interface AnsiStyle {
  /** 0-15 (the 16 colours: 8-15 the bright ones), or `#rrggbb` for 256-colour and true-colour codes. */
  fg?: number | string;
  bg?: number | string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

export interface AnsiSegment {
  text: string;
  style: AnsiStyle;
}

// CSI sequences (ESC [ params final) and OSC sequences (ESC ] ... BEL or ESC \), and lone ESC + one char.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[([0-9;?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** The segments of `text`, carrying `start` over from the line before (returned as `end`). */
export function parseAnsi(text: string, start: AnsiStyle = {}): { segments: AnsiSegment[]; end: AnsiStyle } {
  const segments: AnsiSegment[] = [];
  let style: AnsiStyle = { ...start };
  let last = 0;
  const push = (chunk: string) => {
    if (chunk === '') return;
    const prev = segments[segments.length - 1];
    if (prev && sameStyle(prev.style, style)) prev.text += chunk;
    else segments.push({ text: chunk, style: { ...style } });
  };
  for (const match of text.matchAll(ESCAPES)) {
    push(text.slice(last, match.index));
    last = match.index! + match[0].length;
    if (match[2] === 'm') style = applySgr(style, match[1]);
  }
  push(text.slice(last));
  return { segments, end: style };
}

/** Text without any escape sequence (for search and download). */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPES, '');
}

function applySgr(current: AnsiStyle, params: string): AnsiStyle {
  const codes = params === '' ? [0] : params.split(';').map((p) => Number.parseInt(p, 10) || 0);
  const style = { ...current };
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    if (code === 0) for (const key of Object.keys(style)) delete style[key as keyof AnsiStyle];
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 22) style.bold = style.dim = undefined;
    else if (code === 23) style.italic = undefined;
    else if (code === 24) style.underline = undefined;
    else if (code >= 30 && code <= 37) style.fg = code - 30;
    else if (code >= 90 && code <= 97) style.fg = code - 90 + 8;
    else if (code === 39) style.fg = undefined;
    else if (code >= 40 && code <= 47) style.bg = code - 40;
    else if (code >= 100 && code <= 107) style.bg = code - 100 + 8;
    else if (code === 49) style.bg = undefined;
    else if (code === 38 || code === 48) {
      // 38;5;n (256 colours) or 38;2;r;g;b (true colour).
      const key = code === 38 ? 'fg' : 'bg';
      if (codes[i + 1] === 5) {
        style[key] = color256(codes[i + 2] ?? 0);
        i += 2;
      } else if (codes[i + 1] === 2) {
        style[key] = hex(codes[i + 2] ?? 0, codes[i + 3] ?? 0, codes[i + 4] ?? 0);
        i += 4;
      }
    }
  }
  for (const key of Object.keys(style) as (keyof AnsiStyle)[]) if (style[key] === undefined) delete style[key];
  return style;
}

function color256(n: number): number | string {
  if (n < 16) return n;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return hex(v, v, v);
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return hex(level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6));
}

function hex(r: number, g: number, b: number): string {
  return `#${[r, g, b].map((v) => Math.max(0, Math.min(255, v)).toString(16).padStart(2, '0')).join('')}`;
}

function sameStyle(a: AnsiStyle, b: AnsiStyle): boolean {
  return a.fg === b.fg && a.bg === b.bg && !!a.bold === !!b.bold && !!a.dim === !!b.dim && !!a.italic === !!b.italic && !!a.underline === !!b.underline;
}

/**
 * The classes a segment is drawn with (styles.css `.ansi-*`); a 256/true colour is returned
 * as `color` to set through the element's style property (the CSP forbids style attributes in
 * HTML, not properties set from code).
 */
export function segmentClasses(style: AnsiStyle): { classes: string; color?: string; background?: string } {
  const classes: string[] = [];
  if (typeof style.fg === 'number') classes.push(`ansi-fg-${style.fg}`);
  if (typeof style.bg === 'number') classes.push(`ansi-bg-${style.bg}`);
  if (style.bold) classes.push('ansi-bold');
  if (style.dim) classes.push('ansi-dim');
  if (style.italic) classes.push('ansi-italic');
  if (style.underline) classes.push('ansi-underline');
  return {
    classes: classes.join(' '),
    ...(typeof style.fg === 'string' ? { color: style.fg } : {}),
    ...(typeof style.bg === 'string' ? { background: style.bg } : {}),
  };
}

/**
 * A line's segments cut where `query` matches its text (case-insensitive), a match may
 * span segments (`line` red, ` 3` plain): parts marked `hit` are highlighted.
 */
export function highlightSegments(segments: readonly AnsiSegment[], query: string): (AnsiSegment & { hit: boolean })[] {
  if (query === '') return segments.map((segment) => ({ ...segment, hit: false }));
  const text = segments.map((segment) => segment.text).join('');
  const lower = text.toLowerCase();
  const q = query.toLowerCase();
  const hits: [number, number][] = [];
  for (let i = lower.indexOf(q); i >= 0; i = lower.indexOf(q, i + q.length)) hits.push([i, i + q.length]);
  const out: (AnsiSegment & { hit: boolean })[] = [];
  let offset = 0;
  for (const segment of segments) {
    const end = offset + segment.text.length;
    // Cut points inside this segment: the starts and ends of matches.
    const cuts = new Set([offset, end]);
    for (const [a, b] of hits) {
      if (a > offset && a < end) cuts.add(a);
      if (b > offset && b < end) cuts.add(b);
    }
    const sorted = [...cuts].sort((x, y) => x - y);
    for (let i = 0; i < sorted.length - 1; i++) {
      const [from, to] = [sorted[i], sorted[i + 1]];
      out.push({ text: text.slice(from, to), style: segment.style, hit: hits.some(([a, b]) => from >= a && to <= b) });
    }
    offset = end;
  }
  return out;
}

/** The indexes of the lines whose plain text contains `query` (case-insensitive), for next/previous. */
export function matchingLines(lines: readonly string[], query: string): number[] {
  if (query === '') return [];
  const q = query.toLowerCase();
  const out: number[] = [];
  lines.forEach((line, i) => {
    if (stripAnsi(line).toLowerCase().includes(q)) out.push(i);
  });
  return out;
}
