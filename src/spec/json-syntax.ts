/**
 * The first syntax error of a JSON text, with its offset. JSON.parse says whether the
 * text is valid, but on Node 20 its message often has no position ("Unexpected token
 * '}', ... is not valid JSON"); this small scanner finds it. It keeps its own stack, so
 * deep nesting cannot overflow the call stack.
 */
export interface JsonSyntaxError {
  offset: number;
  message: string;
}

export function jsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    return locate(text) ?? { offset: 0, message: 'invalid JSON' };
  }
}

type Expect = 'value' | 'value-or-close' | 'key' | 'key-or-close' | 'colon' | 'comma-or-close' | 'end';

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

function locate(text: string): JsonSyntaxError | undefined {
  const stack: string[] = [];
  let expect: Expect = 'value';
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const fail = (offset: number, message: string): JsonSyntaxError => ({ offset, message: `invalid JSON: ${message}` });
  const afterValue = (): Expect => (stack.length === 0 ? 'end' : 'comma-or-close');
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
    if (i >= text.length) return expect === 'end' ? undefined : fail(text.length, 'unexpected end of file');
    const c = text[i];
    switch (expect) {
      case 'end':
        return fail(i, `unexpected ${show(c)} after the end of the document`);
      case 'value':
      case 'value-or-close': {
        if (c === ']' && expect === 'value-or-close') {
          stack.pop();
          i++;
          expect = afterValue();
        } else if (c === '{' || c === '[') {
          stack.push(c);
          i++;
          expect = c === '{' ? 'key-or-close' : 'value-or-close';
        } else if (c === '"') {
          const end = scanString(text, i);
          if (typeof end !== 'number') return fail(end.offset, end.message);
          i = end;
          expect = afterValue();
        } else {
          const re = c === '-' || (c >= '0' && c <= '9') ? NUMBER : LITERAL;
          re.lastIndex = i;
          if (!re.test(text)) {
            const trailing = (c === ']' || c === '}') && afterComma(text, i);
            return fail(i, `expected a value, got ${show(c)}${trailing ? ' (JSON allows no comma before a closing bracket)' : ''}`);
          }
          i = re.lastIndex;
          expect = afterValue();
        }
        break;
      }
      case 'key':
      case 'key-or-close':
        if (c === '}' && expect === 'key-or-close') {
          stack.pop();
          i++;
          expect = afterValue();
        } else if (c === '"') {
          const end = scanString(text, i);
          if (typeof end !== 'number') return fail(end.offset, end.message);
          i = end;
          expect = 'colon';
        } else {
          const trailing = c === '}' && afterComma(text, i) ? ' (JSON allows no comma before a closing brace)' : '';
          return fail(i, `expected a double-quoted property name, got ${show(c)}${trailing}`);
        }
        break;
      case 'colon':
        if (c !== ':') return fail(i, `expected ':' after the property name, got ${show(c)}`);
        i++;
        expect = 'value';
        break;
      case 'comma-or-close': {
        const close = stack[stack.length - 1] === '{' ? '}' : ']';
        if (c === ',') {
          i++;
          expect = close === '}' ? 'key' : 'value';
        } else if (c === close) {
          stack.pop();
          i++;
          expect = afterValue();
        } else return fail(i, `expected ',' or '${close}', got ${show(c)}`);
        break;
      }
    }
  }
}

/** Offset just past the string starting at `start`, or the problem in it. */
function scanString(text: string, start: number): number | JsonSyntaxError {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i + 1;
    if (code < 0x20) return { offset: i, message: 'a string may not contain a line break or control character (use \\n)' };
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return { offset: i, message: '\\u must be followed by 4 hex digits' };
        i += 5;
      } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i++;
      else return { offset: i, message: `unknown escape \\${next ?? ''}` };
    }
  }
  return { offset: start, message: 'string is not closed' };
}

function afterComma(text: string, at: number): boolean {
  let i = at - 1;
  while (i >= 0 && ' \t\n\r'.includes(text[i])) i--;
  return text[i] === ',';
}

function show(c: string): string {
  return c === "'" ? `"'"` : `'${c}'`;
}
