/**
 * Plain words for the YAML mistakes people make most in workflow files, from the error
 * codes the `yaml` library reports and the text around them:
 * - BLOCK_AS_IMPLICIT_KEY: a value holding `: ` (`command: echo note: x`) reads as a
 *   mapping inside a mapping; the value needs quotes.
 * - BAD_INDENT: a key that is not lined up with its neighbours; most often one that
 *   belongs to the empty key above it (`retry:` then `attempts: 3` one level too far left).
 */

export interface YamlHint {
  message: string;
  hint: string;
  /** Where to point: the offending text itself. */
  offset: number;
}

export function yamlHint(code: string, offset: number, text: string): YamlHint | undefined {
  if (code === 'BLOCK_AS_IMPLICIT_KEY') return colonInValue(offset, text);
  if (code === 'BAD_INDENT') return badIndent(offset, text);
  return undefined;
}

function lineAt(text: string, offset: number): { start: number; line: string } {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', offset);
  return { start, line: text.slice(start, end < 0 ? text.length : end) };
}

/** `key: value` on one line where the value holds `: ` and is not quoted. */
function colonInValue(offset: number, text: string): YamlHint | undefined {
  const { start, line } = lineAt(text, offset);
  const m = /^(\s*(?:-\s+)?)([^\s:#'"][^:#]*?):\s+(\S.*)$/.exec(line);
  if (m === null) return undefined;
  const [, lead, key, value] = m;
  const valueAt = line.indexOf(value, lead.length + key.length + 1);
  const colon = value.search(/:(\s|$)/);
  if (colon < 0 || /^["'[{|>]/.test(value)) return undefined;
  const what = key === 'command' ? 'the command' : 'the value';
  return {
    message: `\`: \` inside the value of \`${key}\` starts a mapping, which YAML does not allow there`,
    hint: `quote ${what}: ${key}: ${quoted(value.trimEnd())}`,
    offset: start + valueAt + colon,
  };
}

function quoted(value: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!/["\\]/.test(value)) return `"${value}"`;
  return '| (a block: the value on the lines below, indented)';
}

const indentOf = (line: string): number => line.length - line.trimStart().length;
const isKeyLine = (line: string): boolean => /^\s*(?:-\s+)?[^\s:#'"][^:#]*:(\s|$)/.test(line);

/** A key out of line with the mapping it sits in. */
function badIndent(offset: number, text: string): YamlHint | undefined {
  let at = offset;
  while (at < text.length && /\s/.test(text[at])) at++;
  const { start, line } = lineAt(text, at);
  const key = /^\s*(?:-\s+)?([^\s:#]+)\s*:/.exec(line)?.[1];
  if (key === undefined) return undefined;
  const indent = indentOf(line);
  const lines = text.slice(0, start).split('\n');
  const meaningful = (i: number): boolean => lines[i].trim() !== '' && !lines[i].trimStart().startsWith('#');
  let p = lines.length - 1;
  while (p >= 0 && !meaningful(p)) p--;
  if (p < 0) return undefined;
  const message = `\`${key}\` is not lined up with the keys around it`;
  const opener = /^(\s*(?:-\s+)?)([^\s:#'"][^:#]*):\s*(#.*)?$/.exec(lines[p]);
  if (opener !== null) {
    // `retry:` with nothing after it: what follows belongs to it, indented further.
    const hint = `if it belongs to \`${opener[2]}:\` (line ${p + 1}), indent it under \`${opener[2]}:\`, by more than ${opener[1].length} spaces`;
    return { message, hint, offset: start + indent };
  }
  // The nearest key line above that is indented differently shows the column meant.
  for (let i = p; i >= 0; i--) {
    if (!meaningful(i) || !isKeyLine(lines[i]) || lines[i].trimStart().startsWith('- ')) continue;
    if (indentOf(lines[i]) === indent) return undefined;
    const name = /^\s*([^\s:#]+)/.exec(lines[i])![1];
    const hint = `keys of one mapping start at the same column: line it up with \`${name}:\` on line ${i + 1} (column ${indentOf(lines[i]) + 1})`;
    return { message, hint, offset: start + indent };
  }
  return undefined;
}
