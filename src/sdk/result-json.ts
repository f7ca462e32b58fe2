/**
 * `.json()` of what a helper got back (a command's stdout, a response body): parsed with
 * the same limits as every JSON from outside (expr/safe-json.ts), and on failure an error
 * that shows where the text stops being JSON rather than V8's bare "Unexpected token".
 */
import { quoteAround } from '../expr/errors.js';
import { parseJson } from '../expr/safe-json.js';
import { SdkError } from './errors.js';

export interface JsonSource {
  /** What the text is, for messages: "the stdout of `kubectl get pods -o json`". */
  what: string;
  code: 'SH_JSON' | 'HTTP_JSON';
  /** The text was cut at a limit: what the limit was and how to raise it, else undefined. */
  truncated?: string;
}

export function parseResultJson<T>(text: string, source: JsonSource): T {
  // A prefix of JSON can itself be JSON (`12345` cut to `123`): never parse a cut text.
  if (source.truncated !== undefined) {
    throw new SdkError(source.code, `${source.what} was cut at ${source.truncated}, so it cannot be read as JSON`, {
      retryable: false,
      details: { what: source.what },
    });
  }
  try {
    return parseJson(text, source.what) as T;
  } catch (err) {
    throw new SdkError(source.code, `${source.what} is not JSON: ${describe(err, text)}`, { retryable: false, cause: err, details: { what: source.what } });
  }
}

/** V8's message, on one line, with the text around where it failed when V8 gives only a position. */
function describe(err: unknown, text: string): string {
  const message = (err instanceof Error ? err.message : String(err)).replace(/\r?\n/g, '\\n');
  if (!(err instanceof SyntaxError)) return message;
  if (text.trim() === '') return 'it is empty';
  // "Unexpected token 'x', ...near here... is not valid JSON" quotes the text already.
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `${message}, here: ${oneLine(quoteAround(text, Number(position) + 1))}`;
  if (/end of JSON input/.test(message)) return `${message}; it ends: ${oneLine(quoteAround(text, text.length))}`;
  return message;
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}
