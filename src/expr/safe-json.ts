/**
 * Parsing JSON that baton did not write: task outputs ($BATON_OUTPUT, a script's last
 * stdout line), HTTP response bodies, `--input` values, `fromJSON()`, `--context`, imported
 * runs. V8 parses any depth, but what comes after (JSON.stringify when the value is
 * recorded, structuredClone, masking, expression data) recurses, so 100,000 nested arrays
 * would overflow the stack: in the middle of recording a run, again on every resume.
 * Depth and length are therefore checked here, on the text, before anything is built.
 */
import { BatonError } from '../observability/errors.js';

/** Deepest nesting of arrays and objects accepted; the same bound as workflow files. */
export const MAX_JSON_DEPTH = 128;
/** Longest text parsed by default: 16 MiB (every entry point has a smaller bound of its own). */
export const MAX_JSON_LENGTH = 16 * 1024 * 1024;

export interface JsonLimits {
  /** Default MAX_JSON_DEPTH. */
  maxDepth?: number;
  /** In UTF-16 characters; default MAX_JSON_LENGTH. */
  maxLength?: number;
}

/**
 * DATA_TOO_DEEP, DATA_TOO_LARGE: JSON from outside nested or sized beyond the limits.
 * Programs match on the code; `details.what` says where the data came from.
 */
export class DataError extends BatonError {}

/**
 * JSON.parse, refusing text nested deeper than `maxDepth` or longer than `maxLength` with
 * a DataError whose message names `what` ("the outputs file ($BATON_OUTPUT)"). Syntax
 * errors are JSON.parse's own SyntaxError, so callers keep their handling of those.
 */
export function parseJson(text: string, what: string, limits: JsonLimits = {}): unknown {
  const maxLength = limits.maxLength ?? MAX_JSON_LENGTH;
  if (text.length > maxLength) {
    throw new DataError('DATA_TOO_LARGE', `${what} holds ${text.length} characters of JSON; the limit is ${maxLength}`, {
      details: { what, length: text.length, limit: maxLength },
    });
  }
  const maxDepth = limits.maxDepth ?? MAX_JSON_DEPTH;
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) {
    throw new DataError(
      'DATA_TOO_DEEP',
      `${what} holds JSON nested more than ${maxDepth} levels deep, deeper than baton keeps data: flatten it, or write it to a file and pass the file's path`,
      { details: { what, limit: maxDepth } },
    );
  }
  return JSON.parse(text);
}

/**
 * How deep the arrays and objects of a JSON text nest, counting `[` and `{` outside
 * strings; stops counting once past `stop`. Malformed text gives some number: JSON.parse
 * reports what is wrong with it.
 */
export function jsonDepth(text: string, stop = Infinity): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) {
        max = depth;
        if (max > stop) return max;
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return max;
}
