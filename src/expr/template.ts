/**
 * Finding the `${ ... }` parts of a string.
 *
 * Scanning left to right:
 * - `$${` is an escape: it produces a literal `${` and starts nothing.
 * - `${` (or GitHub's `${{`) starts an expression unless it looks like a shell
 *   parameter expansion: `${HOME}`, `${PATH:-x}`, `${#arr}`, `${1}`, `${!ref}` are text,
 *   because their first identifier is not a context (lower-case), a function followed by
 *   `(`, or a literal. With a space after `${` and no word, it is always an expression.
 * - A name alone between the braces is an expression only when it is a context the task
 *   has. Written shell-style, `${name}`, only the contexts used whole count: `item`/`index`
 *   inside a loop, `result` in `outputs:`; so `${result}`, `${run}` (and `${item}` outside
 *   a loop) are the shell's (`result=$(cmd); echo "${result}"`). Spaced, `${ name }` is no
 *   shell syntax, so any context the task has counts (`body: ${ inputs }`). isBareContext
 *   decides, for the engine (given the task's scope) and for `baton validate` (given where
 *   the field is) alike.
 * - The expression ends at the first `}` (`}}` for `${{`) outside a string literal, so
 *   `${ format('{0}', x) }` is one part.
 *
 * In a condition the whole string is one expression and each `${ x }` inside it stands
 * for `(x)`; the rewrite keeps every character at its column (`${` -> `( `, `}` -> `)`).
 */
import { FUNCTION_NAMES } from './functions.js';

/** Context names a workflow may use; `trigger` is the task that fired an on_success/on_failure callback. */
export const KNOWN_CONTEXTS: readonly string[] = ['env', 'inputs', 'tasks', 'item', 'index', 'run', 'workflow', 'result', 'secrets', 'trigger'];

const LITERALS = new Set(['true', 'false', 'null', 'NaN', 'Infinity']);

/** Contexts whose value is used whole, so `${name}` alone, unspaced, may mean them (see isBareContext). */
export const BARE_CONTEXTS: readonly string[] = ['item', 'index', 'result'];

/** The contexts a task has: a Set of names, or a scope's contexts seen through `has`. */
export interface ContextNames {
  has(name: string): boolean;
}

/** Every context present: what a caller that cannot tell assumes (the widest reading). */
export const ALL_CONTEXTS: ContextNames = { has: () => true };

/**
 * Whether a name alone between the braces is an expression for a task having `contexts`:
 * `spaced` is `${ name }`, not `${name}` (see the header).
 */
export function isBareContext(name: string, contexts: ContextNames, spaced = false): boolean {
  return (spaced ? KNOWN_CONTEXTS : BARE_CONTEXTS).includes(name) && contexts.has(name);
}

export interface TextPart {
  kind: 'text';
  text: string;
}

export interface ExprPart {
  kind: 'expr';
  /** The expression between the braces. */
  body: string;
  /** Index in the source of body[0]. */
  offset: number;
  /** src.slice(start, end) is the whole `${ ... }`. */
  start: number;
  end: number;
}

export type Part = TextPart | ExprPart;

export interface ScanProblem {
  message: string;
  /** 1-based column in the source. */
  col: number;
}

export interface Scan {
  parts: Part[];
  problems: ScanProblem[];
  /** Offsets of each `${` left for the shell (not `$${`), for `baton validate` to look at. */
  shell: number[];
}

/** One cache per set of contexts present (a bit each, see contextBits). */
const caches = new Map<number, Map<string, Scan>>();

/** `contexts`: the contexts the task has, which decides what a bare `${name}` is (isBareContext). */
export function scanTemplate(src: string, contexts: ContextNames = ALL_CONTEXTS): Scan {
  const bits = contextBits(contexts);
  let cache = caches.get(bits);
  if (!cache) caches.set(bits, (cache = new Map()));
  let scan = cache.get(src);
  if (!scan) {
    scan = scanUncached(src, bits);
    if (cache.size >= 5000) cache.clear();
    cache.set(src, scan);
  }
  return scan;
}

function contextBits(contexts: ContextNames): number {
  let bits = 0;
  KNOWN_CONTEXTS.forEach((name, i) => {
    if (contexts.has(name)) bits |= 1 << i;
  });
  return bits;
}

function scanUncached(src: string, bits: number): Scan {
  const parts: Part[] = [];
  const problems: ScanProblem[] = [];
  const shell: number[] = [];
  let text = '';
  let i = 0;
  for (;;) {
    const dollar = src.indexOf('$', i);
    if (dollar < 0) break;
    if (src.startsWith('$${', dollar)) {
      text += src.slice(i, dollar) + '${';
      i = dollar + 3;
      continue;
    }
    if (src[dollar + 1] !== '{') {
      text += src.slice(i, dollar + 1);
      i = dollar + 1;
      continue;
    }
    const double = src[dollar + 2] === '{';
    const bodyStart = dollar + (double ? 3 : 2);
    if (!double && !startsExpression(src, bodyStart, bits)) {
      shell.push(dollar);
      text += src.slice(i, dollar + 2);
      i = dollar + 2;
      continue;
    }
    const close = findClose(src, bodyStart, double);
    if (close < 0) {
      problems.push({ col: dollar + 1, message: `Unterminated expression: the \`${double ? '${{' : '${'}\` at column ${dollar + 1} has no closing \`${double ? '}}' : '}'}\`` });
      text += src.slice(i);
      i = src.length;
      break;
    }
    const body = src.slice(bodyStart, close);
    if (body.trim() === '') {
      problems.push({ col: dollar + 1, message: 'Empty expression: put an expression between `${` and `}`, or write `$${` for a literal `${`' });
    }
    if (text || i < dollar) parts.push({ kind: 'text', text: text + src.slice(i, dollar) });
    text = '';
    const end = close + (double ? 2 : 1);
    parts.push({ kind: 'expr', body, offset: bodyStart, start: dollar, end });
    i = end;
  }
  text += src.slice(i);
  if (text) parts.push({ kind: 'text', text });
  return { parts, problems, shell };
}

/** Whether the text after `${` (at `at`) is an expression rather than a shell expansion. */
function startsExpression(src: string, at: number, bits: number): boolean {
  let p = at;
  while (p < src.length && /\s/.test(src[p])) p++;
  const spaced = p > at;
  const c = src[p] ?? '';
  if (/[A-Za-z_]/.test(c)) {
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(p, p + 64))![0];
    if (LITERALS.has(id)) return true;
    if (/^\s*\}/.test(src.slice(p + id.length, p + id.length + 64))) {
      const i = KNOWN_CONTEXTS.indexOf(id);
      return isBareContext(id, { has: () => i >= 0 && (bits & (1 << i)) !== 0 }, spaced);
    }
    if (KNOWN_CONTEXTS.includes(id)) return true;
    return FUNCTION_NAMES.has(id.toLowerCase()) && /^\s*\(/.test(src.slice(p + id.length, p + id.length + 64));
  }
  if (spaced) return true;
  if ('#@*?$!'.includes(c) || c === '') return false;
  if (c === '-') return !src.startsWith('-}', p);
  if (/[0-9]/.test(c)) return !/^[0-9]+\}/.test(src.slice(p, p + 32));
  return true;
}

/** Index of the closing `}` (first of `}}` when `double`), skipping string literals; -1 if none. */
export function findClose(src: string, from: number, double: boolean): number {
  for (let k = from; k < src.length; k++) {
    const ch = src[k];
    if (ch === "'") {
      // A literal ends at the next quote; `''` inside it is two quotes in a row, same rule.
      const endQuote = src.indexOf("'", k + 1);
      if (endQuote < 0) return -1;
      k = endQuote;
    } else if (ch === '}' && (!double || src[k + 1] === '}')) {
      return k;
    }
  }
  return -1;
}

/**
 * A condition as one expression: each `${ x }` becomes `( x )`, column for column.
 * Returns the rewritten string and any problems (unterminated `${`).
 */
export function conditionToExpression(src: string): { expr: string; problems: ScanProblem[] } {
  if (!src.includes('${')) return { expr: src, problems: [] };
  let out = '';
  let i = 0;
  const problems: ScanProblem[] = [];
  for (let k = 0; k < src.length; k++) {
    const ch = src[k];
    if (ch === "'") {
      const endQuote = src.indexOf("'", k + 1);
      if (endQuote < 0) break; // the lexer reports the unterminated literal
      k = endQuote;
    } else if (ch === '$' && src[k + 1] === '{') {
      const double = src[k + 2] === '{';
      const bodyStart = k + (double ? 3 : 2);
      const close = findClose(src, bodyStart, double);
      if (close < 0) {
        problems.push({ col: k + 1, message: `Unterminated expression: the \`\${\` at column ${k + 1} has no closing \`}\`` });
        break;
      }
      out += src.slice(i, k) + (double ? '(  ' : '( ') + src.slice(bodyStart, close) + (double ? ') ' : ')');
      i = close + (double ? 2 : 1);
      k = i - 1;
    }
  }
  return { expr: out + src.slice(i), problems };
}
