/**
 * Workflow files are UTF-8 (a UTF-8 byte order mark is allowed). Anything else is refused
 * with the place of the first byte that is not UTF-8, because reading it anyway replaces
 * that byte with U+FFFD: a command or a URL would silently run changed. UTF-16 and UTF-32
 * files (what some Windows editors save) are named as such, with or without a byte order
 * mark, instead of being reported as a wall of YAML errors about NUL characters.
 */

export interface EncodingProblem {
  message: string;
  hint: string;
  /** 1-based line and column (in characters, as editors count) of the first bad byte. */
  line: number;
  col: number;
  /** 0-based offset in bytes of the first bad byte. */
  byte: number;
}

const CONVERT = 'save it as UTF-8 (in most editors: "Save with encoding"), or convert it: iconv -f FROM -t UTF-8';

/** The text of a file's bytes, or where they stop being UTF-8. */
export function decodeUtf8(bytes: Uint8Array): { text: string } | { problem: EncodingProblem } {
  const wide = wideEncoding(bytes);
  if (wide !== undefined) {
    return { problem: { message: `the file is ${wide}; workflow files must be UTF-8`, hint: CONVERT.replace('FROM', wide.startsWith('UTF-32') ? 'UTF-32' : 'UTF-16'), line: 1, col: 1, byte: 0 } };
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const byte = firstInvalidByte(bytes);
    const lineStart = bytes.lastIndexOf(0x0a, byte - 1) + 1;
    let line = 1;
    for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
    const col = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, byte)).length + 1;
    const hex = `0x${bytes[byte].toString(16).toUpperCase().padStart(2, '0')}`;
    return {
      problem: {
        message: `the file is not UTF-8: byte ${hex} at line ${line}, column ${col} (byte offset ${byte}) is not valid UTF-8`,
        hint: CONVERT.replace('FROM', 'LATIN1'),
        line,
        col,
        byte,
      },
    };
  }
}

/** UTF-32/UTF-16 by byte order mark, or UTF-16 without one: ASCII with a NUL beside every character. */
function wideEncoding(b: Uint8Array): string | undefined {
  if (b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'UTF-32 (little-endian, with a byte order mark)';
  if (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'UTF-32 (big-endian, with a byte order mark)';
  if (b[0] === 0xff && b[1] === 0xfe) return 'UTF-16 (little-endian, with a byte order mark)';
  if (b[0] === 0xfe && b[1] === 0xff) return 'UTF-16 (big-endian, with a byte order mark)';
  const pairs = Math.min(64, b.length >> 1);
  if (pairs < 2) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < pairs; i++) {
    if (b[2 * i] === 0 && b[2 * i + 1] !== 0) evenZero++;
    if (b[2 * i + 1] === 0 && b[2 * i] !== 0) oddZero++;
  }
  // Text in UTF-8 has no NUL bytes; half its pairs holding one is UTF-16 of mostly ASCII.
  if (oddZero * 2 >= pairs) return 'UTF-16 (little-endian, without a byte order mark)';
  if (evenZero * 2 >= pairs) return 'UTF-16 (big-endian, without a byte order mark)';
  return undefined;
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) length = 2;
    else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c === 0xe0) low = 0xa0; // overlong
      if (c === 0xed) high = 0x9f; // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c === 0xf0) low = 0x90; // overlong
      if (c === 0xf4) high = 0x8f; // past U+10FFFF
    } else return i;
    for (let k = 1; k < length; k++) {
      const next = b[i + k];
      const ok = next !== undefined && (k === 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xbf);
      // A truncated sequence: its lead byte is where the text stops being UTF-8.
      if (!ok) return i;
    }
    i += length;
  }
  return b.length;
}
