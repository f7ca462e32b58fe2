/**
 * The expression layer: GitHub-Actions-compatible expressions (`${ ... }`) over a run's
 * contexts, built on @actions/expressions. Pure: no I/O, no clock, no eval.
 *
 * - evaluate: one bare expression -> plain JS value; evaluateExpression: the same for a
 *   whole condition-style string (`${ x } == 0` accepted).
 * - templates (renderTemplate, renderShell, checkTemplate): strings with `${ }` parts.
 * - conditions (evaluateCondition, checkCondition): the whole string is one expression.
 * See docs/expressions.md for the user-facing rules.
 */
import type { data } from '@actions/expressions';
import { TokenType } from '@actions/expressions/lexer';
import { ExprError, clip, quoteAround } from './errors.js';
import { evalError, evaluateAst, type EvalScope } from './evaluate.js';
import { DEFAULT_STATUS, STATUS_FUNCTIONS } from './functions.js';
import { isTruthy, toPlain, toText } from './lazy-data.js';
import { lex, parseExpression, type Parsed } from './parse.js';
import { ShellQuoter, UnsafeShellValue } from './shell.js';
import { ALL_CONTEXTS, KNOWN_CONTEXTS, conditionToExpression, scanTemplate, type ContextNames, type ExprPart, type ScanProblem } from './template.js';
import { UnsafeUrlValue, UrlBuilder, UrlReader, asFormat } from './url.js';

export { ExprError, excerpt } from './errors.js';
export { inspectCondition, inspectTemplate, literalInShell, type ContextRead, type Inspection, type Name } from './reads.js';
export { ALL_CONTEXTS, BARE_CONTEXTS, KNOWN_CONTEXTS, isBareContext, type ContextNames } from './template.js';

export interface ExprProblem {
  code: 'EXPR_SYNTAX';
  message: string;
  /** 1-based column within the source string. */
  col: number;
}

export interface Scope {
  /** Plain JS/JSON values, converted lazily (only what an expression reads); may be huge. */
  contexts: Record<string, unknown>;
  /** For success() failure() always() cancelled(); default { success: true, failure: false, cancelled: false }. */
  status?: { success: boolean; failure: boolean; cancelled: boolean };
}

type Data = data.ExpressionData;

const KNOWN = new Set(KNOWN_CONTEXTS);
const isKnown = (name: string): boolean => KNOWN.has(name);

/** Context names an expression may use: the known ones plus whatever the scope holds. */
function scopeNames(scope: Scope): (name: string) => boolean {
  const ctx = scope.contexts;
  return name => KNOWN.has(name) || Object.hasOwn(ctx, name) || Object.keys(ctx).some(k => k.toLowerCase() === name);
}

/** The contexts a scope has, which decides what a bare `${name}` is (template.ts, isBareContext). */
function contextsOf(scope: Scope): ContextNames {
  const ctx = scope.contexts;
  return { has: (name) => Object.hasOwn(ctx, name) };
}

/** Re-anchors an error from an expression that starts at `offset` within `src`. */
function relocate(e: unknown, src: string, offset: number, what: string): ExprError {
  if (!(e instanceof ExprError)) return relocate(new ExprError('EXPR_EVAL', String(e), { col: 1, cause: e }), src, offset, what);
  const col = offset + e.col;
  const detail = (e.details?.detail as string | undefined) ?? e.message;
  const hint = (e.details?.hint as string | undefined) ?? '';
  return new ExprError(e.code, `${clip(detail)}, at column ${col} of ${what} ${quoteAround(src, col)}. ${hint}`.trim(), {
    col,
    cause: e,
    details: { ...e.details, source: clip(src) },
  });
}

function problemError(p: ScanProblem, src: string, what: string): ExprError {
  return new ExprError('EXPR_SYNTAX', `${p.message}, in ${what} ${quoteAround(src, p.col)}.`, { col: p.col, details: { source: clip(src), phase: 'parsing' } });
}

export function evaluate(expression: string, scope: Scope): unknown {
  const parsed = parseExpression(expression, scopeNames(scope));
  const value = evaluateAst(parsed.ast, expression, scope as EvalScope);
  try {
    return toPlain(value);
  } catch (e) {
    throw evalError(expression, e);
  }
}

// ---------- templates

/** Syntax problems of a template, for a task having `contexts` (default: all of them). */
export function checkTemplate(src: string, contexts: ContextNames = ALL_CONTEXTS): ExprProblem[] {
  const scan = scanTemplate(src, contexts);
  const problems: ExprProblem[] = scan.problems.map(p => ({ code: 'EXPR_SYNTAX', message: p.message, col: p.col }));
  for (const part of scan.parts) {
    if (part.kind !== 'expr' || part.body.trim() === '') continue;
    try {
      parseExpression(part.body, isKnown);
    } catch (e) {
      const err = relocate(e, src, part.offset, 'template');
      problems.push({ code: 'EXPR_SYNTAX', message: err.message, col: err.col });
    }
  }
  return problems.sort((a, b) => a.col - b.col);
}

/** Evaluates one part and converts its value with `as` (toPlain or toText), which can
 * also fail (self-referencing data, JSON nested too deeply). */
function evalPart<T>(part: ExprPart, src: string, scope: Scope, what: string, as: (value: Data) => T): T {
  try {
    const parsed = parseExpression(part.body, scopeNames(scope));
    const value = evaluateAst(parsed.ast, part.body, scope as EvalScope);
    try {
      return as(value);
    } catch (e) {
      throw evalError(part.body, e);
    }
  } catch (e) {
    throw relocate(e, src, part.offset, what);
  }
}

export function renderTemplate(src: string, scope: Scope): unknown {
  if (!src.includes('$')) return src;
  const { parts, problems } = scanTemplate(src, contextsOf(scope));
  if (problems.length > 0) throw problemError(problems[0], src, 'template');
  if (parts.length === 1 && parts[0].kind === 'expr') return evalPart(parts[0], src, scope, 'template', toPlain);
  let out = '';
  for (const part of parts) out += part.kind === 'text' ? part.text : evalPart(part, src, scope, 'template', toText);
  return out;
}

export function renderShell(src: string, scope: Scope): string {
  if (!src.includes('$')) return src;
  const { parts, problems } = scanTemplate(src, contextsOf(scope));
  if (problems.length > 0) throw problemError(problems[0], src, 'command');
  // `shadow` sees a neutral value at each part: if the real values ever leave the two
  // machines in different states, a value changed how the shell reads the command.
  const real = new ShellQuoter();
  const shadow = new ShellQuoter();
  let out = '';
  let last: ExprPart | undefined;
  for (const [i, part] of parts.entries()) {
    if (part.kind === 'text') {
      // Compared line by line: a heredoc ends at a newline, so a value can end it early
      // even though both machines agree again after the template's own delimiter line.
      for (const line of part.text.split(/(?<=\n)/)) {
        real.feed(line);
        shadow.feed(line);
        if (real.signature() !== shadow.signature()) throw unsafe(last, src, 'it changes how the shell reads the rest of the command');
      }
      out += part.text;
      continue;
    }
    last = part;
    const value = evalPart(part, src, scope, 'command', toText);
    try {
      const next = parts[i + 1]?.kind === 'text' ? (parts[i + 1] as { text: string }).text[0] : '';
      out += real.quote(value, next);
      shadow.quote('0', next);
    } catch (e) {
      if (e instanceof UnsafeShellValue) throw unsafe(part, src, e.message, e);
      throw e;
    }
  }
  return out;
}

/**
 * A URL template with each value percent-encoded for the part of the URL it lands in
 * (url.ts); a value that would land in the scheme or host is refused. A template that is
 * one whole expression is the URL as it evaluates.
 */
export function renderUrl(src: string, scope: Scope): string {
  if (!src.includes('$')) return src;
  const { parts, problems } = scanTemplate(src, contextsOf(scope));
  if (problems.length > 0) throw problemError(problems[0], src, 'URL');
  if (parts.length === 1 && parts[0].kind === 'expr') return evalPart(parts[0], src, scope, 'URL', toText);
  const url = new UrlBuilder();
  let last: ExprPart | undefined;
  try {
    for (const [i, part] of parts.entries()) {
      if (part.kind === 'text') url.text(part.text);
      else if (i === 0 && isBaseUrl(parts)) url.text(evalPart(part, src, scope, 'URL', toText));
      else {
        last = part;
        url.value(evalPart(part, src, scope, 'URL', toText));
      }
    }
    return url.finish();
  } catch (e) {
    if (!(e instanceof UnsafeUrlValue)) throw e;
    const where = last ? `the value of \${${clip(last.body, 80)}} ` : 'a value ';
    throw new ExprError('EXPR_URL', `Cannot put ${where}into the URL "${clip(src)}": ${e.message}. ${urlHint(parts)}`, {
      col: last ? last.start + 1 : 1,
      cause: e,
      details: { source: clip(src), phase: 'evaluation' },
    });
  }
}

export interface UrlProblem {
  code: 'EXPR_URL';
  message: string;
  hint: string;
  /** 1-based column within the source string. */
  col: number;
}

/** `${ }` parts that would land in a URL's scheme or host (refused by renderUrl whatever their value). */
export function checkUrl(src: string): UrlProblem[] {
  const { parts, problems } = scanTemplate(src);
  if (problems.length > 0 || (parts.length === 1 && parts[0].kind === 'expr')) return [];
  const reader = new UrlReader();
  const out: UrlProblem[] = [];
  for (const [i, part] of parts.entries()) {
    if (part.kind === 'text') reader.feed(part.text);
    else if (i === 0 && isBaseUrl(parts)) reader.feed('http://base');
    else if (reader.place === 'scheme' || reader.place === 'authority') {
      out.push({
        code: 'EXPR_URL',
        col: part.start + 1,
        message: `\${${clip(part.body, 80)}} is in the ${reader.place === 'scheme' ? 'scheme' : 'host'} part of the URL, where a value could send the request (and its credentials) to another server`,
        hint: urlHint(parts),
      });
    }
  }
  return out;
}

/**
 * `${ inputs.url }/health`: a first expression followed by a path, query or fragment gives
 * the whole base URL, as deliberately as a whole-expression URL does; what follows it is
 * encoded as usual. (`${ x }.example.com` or `${ x }://...` is not a base: refused.)
 */
function isBaseUrl(parts: readonly { kind: string; text?: string }[]): boolean {
  const next = parts[1];
  return parts[0].kind === 'expr' && next?.kind === 'text' && /^[/?#]/.test(next.text ?? '');
}

function urlHint(parts: Parameters<typeof asFormat>[0]): string {
  return `Values in a URL's path, query and fragment are percent-encoded; a URL whose host or scheme comes from data must be one whole expression: url: "${asFormat(parts)}"`;
}

function unsafe(part: ExprPart | undefined, src: string, reason: string, cause?: unknown): ExprError {
  const where = part ? `the value of \${${clip(part.body, 80)}} ` : 'a value ';
  return new ExprError(
    'EXPR_EVAL',
    `Cannot put ${where}into the command "${clip(src)}": ${reason}. ` +
      'Pass it through the environment instead (env: { NAME: "${ ... }" }, then "$NAME" in the command).',
    { col: part ? part.start + 1 : 1, cause, details: { source: clip(src), phase: 'evaluation' } },
  );
}

// ---------- conditions

export function checkCondition(src: string): ExprProblem[] {
  if (src.trim() === '') return [];
  const { expr, problems } = conditionToExpression(src);
  if (problems.length > 0) return problems.map(p => ({ code: 'EXPR_SYNTAX', message: p.message, col: p.col }));
  try {
    parseExpression(expr, isKnown);
    return [];
  } catch (e) {
    const err = relocate(e, src, 0, 'condition');
    return [{ code: 'EXPR_SYNTAX', message: err.message, col: err.col }];
  }
}

/** Parses a condition-style string: the whole string is one expression, `${ x }` stands for `(x)`. */
function parseWhole(src: string, scope: Scope): { expr: string; parsed: Parsed } {
  const { expr, problems } = conditionToExpression(src);
  if (problems.length > 0) throw problemError(problems[0], src, 'condition');
  try {
    return { expr, parsed: parseExpression(expr, scopeNames(scope)) };
  } catch (e) {
    throw relocate(e, src, 0, 'condition');
  }
}

function evaluateWhole(src: string, expr: string, parsed: Parsed, scope: Scope): Data {
  try {
    return evaluateAst(parsed.ast, expr, scope as EvalScope);
  } catch (e) {
    throw relocate(e, src, 0, 'condition');
  }
}

/**
 * True when the task should run. An empty condition means success(); a condition that
 * calls none of the status functions means `success() && (condition)`, as on GitHub.
 */
export function evaluateCondition(src: string, scope: Scope): boolean {
  const status = scope.status ?? DEFAULT_STATUS;
  if (src.trim() === '') return status.success;
  const { expr, parsed } = parseWhole(src, scope);
  if (!status.success && !usesStatusFunction(src)) return false;
  return isTruthy(evaluateWhole(src, expr, parsed, scope));
}

/**
 * The raw value of a whole string read as one expression, the way a condition is read
 * (`${ x }` stands for `(x)`), without the boolean coercion or implicit success().
 * For `baton eval` and similar: `"${tasks.a.exit_code} == 0"` gives true.
 */
export function evaluateExpression(src: string, scope: Scope): unknown {
  const { expr, parsed } = parseWhole(src, scope);
  const value = evaluateWhole(src, expr, parsed, scope);
  try {
    return toPlain(value);
  } catch (e) {
    throw relocate(evalError(src, e), src, 0, 'expression');
  }
}

const STATUS = new Set<string>(STATUS_FUNCTIONS);

export function usesStatusFunction(src: string): boolean {
  const tokens = safeLex(conditionToExpression(src).expr);
  return tokens.some(
    (t, i) =>
      t.type === TokenType.IDENTIFIER &&
      STATUS.has(t.lexeme.toLowerCase()) &&
      tokens[i + 1]?.type === TokenType.LEFT_PAREN &&
      tokens[i - 1]?.type !== TokenType.DOT,
  );
}

// ---------- references

/**
 * Whether `src` reads context `name`: in any of its `${ }` parts, or, when the whole
 * string is itself a valid expression (a bare condition such as `item == 'qa'`), in it.
 */
export function referencesContext(src: string, name: string, contexts: ContextNames = ALL_CONTEXTS): boolean {
  const target = name.toLowerCase();
  for (const part of scanTemplate(src, contexts).parts) {
    if (part.kind === 'expr' && contextTokens(part.body).includes(target)) return true;
  }
  try {
    return parseExpression(conditionToExpression(src).expr, () => true).contexts.some(c => c.name === target);
  } catch {
    return false;
  }
}

/** Identifiers that stand where a context name would (not after `.`, not before `(`). */
function contextTokens(expr: string): string[] {
  const tokens = safeLex(expr);
  return tokens
    .filter((t, i) => t.type === TokenType.IDENTIFIER && tokens[i - 1]?.type !== TokenType.DOT && tokens[i + 1]?.type !== TokenType.LEFT_PAREN)
    .map(t => t.lexeme.toLowerCase());
}

function safeLex(expr: string) {
  try {
    return lex(expr);
  } catch {
    return [];
  }
}
