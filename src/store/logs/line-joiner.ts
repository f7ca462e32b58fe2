import type { LogStream } from '../store.js';

/** The longest line kept whole (UTF-16 units); longer output is cut into lines this long. */
export const MAX_LINE = 64 * 1024;

/**
 * Joins one attempt's output chunks into lines, per stream. Chunks split lines anywhere;
 * only the unterminated tail of each stream is held (at most MAX_LINE), so memory stays
 * bounded however much a task prints. A CR before LF is part of the line break.
 *
 * `push` and `flush` return a block of complete lines joined by '\n' (no final '\n'), or
 * undefined when no line is complete: stores write a block with one call instead of one
 * call per line.
 */
export class LineJoiner {
  private out = '';
  private err = '';

  push(stream: LogStream, chunk: string): string | undefined {
    const text = (stream === 'stdout' ? this.out : this.err) + chunk;
    const last = text.lastIndexOf('\n');
    let block: string | undefined;
    let tail: string;
    if (last < 0) {
      tail = text;
    } else {
      block = capLines(stripCR(text.slice(0, last), true));
      tail = text.slice(last + 1);
    }
    if (tail.length > MAX_LINE) {
      // An unterminated line longer than MAX_LINE: write its full pieces out now.
      let cut = tail.length - (tail.length % MAX_LINE || MAX_LINE);
      if (isHighSurrogate(tail.charCodeAt(cut - 1))) cut--;
      const head = capLines(tail.slice(0, cut));
      block = block === undefined ? head : `${block}\n${head}`;
      tail = tail.slice(cut);
    }
    if (stream === 'stdout') this.out = tail;
    else this.err = tail;
    return block;
  }

  /** The unterminated last line of a stream, if any (the attempt ended without a line break). */
  flush(stream: LogStream): string | undefined {
    const tail = stream === 'stdout' ? this.out : this.err;
    if (stream === 'stdout') this.out = '';
    else this.err = '';
    return tail === '' ? undefined : capLines(stripCR(tail, false));
  }
}

/** Drops the CR of each CRLF; `terminated`: an LF follows the text (it was cut off). */
function stripCR(text: string, terminated: boolean): string {
  const lines = text.includes('\r\n') ? text.replaceAll('\r\n', '\n') : text;
  return terminated && lines.endsWith('\r') ? lines.slice(0, -1) : lines;
}

/** Cuts lines longer than MAX_LINE (lines are separated by '\n'). */
function capLines(block: string): string {
  if (block.length <= MAX_LINE || !hasLongLine(block)) return block;
  let out = '';
  let start = 0;
  while (start <= block.length) {
    let end = block.indexOf('\n', start);
    if (end < 0) end = block.length;
    let from = start;
    while (end - from > MAX_LINE) {
      let cut = from + MAX_LINE;
      if (isHighSurrogate(block.charCodeAt(cut - 1))) cut--;
      out += block.slice(from, cut) + '\n';
      from = cut;
    }
    out += block.slice(from, end);
    if (end < block.length) out += '\n';
    start = end + 1;
  }
  return out;
}

function hasLongLine(block: string): boolean {
  let start = 0;
  for (;;) {
    const end = block.indexOf('\n', start);
    if ((end < 0 ? block.length : end) - start > MAX_LINE) return true;
    if (end < 0) return false;
    start = end + 1;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
