/**
 * Text that came from a workflow or a task (names, ids, output, error messages quoting
 * either) as a terminal will show it, never act on it. A task printing
 * `\x1b]0;pwned\x07\x1b[2J` would otherwise retitle the window and clear the screen of
 * whoever reads its summary; a `\r` or a bidi override would hide what is really there.
 *
 * Every control character is written as a visible escape instead: C0 (`\x1b`, `\x07`,
 * `\r` ...), DEL and C1 (`\x7f`, `\u009b`: some terminals read U+009B as ESC [), and the
 * bidi overrides (`\u202e`). So an escape sequence (CSI, OSC, DCS...) loses its ESC and
 * prints as plain text. Every printer of baton applies this to the text it did not write;
 * baton's own colours and cursor moves are added after, by the render layer.
 */

export interface VisibleOptions {
  /** Keep line breaks (`\n`, and `\r\n` read as `\n`) and tabs; default false: one line. */
  lines?: boolean;
  /** Keep colour and style sequences (SGR: `ESC [ ... m`) and nothing else; default false. */
  colors?: boolean;
}

// eslint-disable-next-line no-control-regex -- control characters are what this finds
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// eslint-disable-next-line no-control-regex
const ALL = /\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const ALL_BUT_SGR = /\x1b\[[0-9;:]*m|\r\n|[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character shown as an escape (see the module comment). */
export function visible(text: string, options: VisibleOptions = {}): string {
  if (!UNSAFE.test(text)) return text;
  const lines = options.lines === true;
  return text.replace(options.colors === true ? ALL_BUT_SGR : ALL, (match) => {
    if (match.length > 2) return match; // an SGR sequence, asked to be kept
    if (match === '\r\n') return lines ? '\n' : '\\r\\n';
    if (lines && (match === '\n' || match === '\t')) return match;
    return escape(match);
  });
}

function escape(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  const code = c.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}
