/**
 * Reading one bare expression: lex + parse with the library, cached per source string.
 *
 * Three things are worked around here:
 * - Positions. The library reports a column within the current line, and its line
 *   tracking goes wrong after a string literal holding a newline. Newlines outside
 *   string literals are whitespace to the lexer, so they are turned into spaces before
 *   lexing (same length), which makes every reported column an absolute offset.
 * - Quote escapes. The lexer unescapes only the first `''` of a string literal; the
 *   token value is recomputed from its lexeme.
 * - Context names. The parser must be told the allowed context names, which would make
 *   the AST depend on the caller's scope. Instead every identifier is allowed while
 *   parsing (so one cached AST serves every scope) and the context names the AST uses
 *   are checked afterwards, in source order, giving the same first error the library would.
 */
import { Lexer, Parser, ExpressionError, type Expr } from '@actions/expressions';
import { ContextAccess, FunctionCall, Binary, Grouping, IndexAccess, Logical, Unary } from '@actions/expressions/ast';
import { TokenType, type Token } from '@actions/expressions/lexer';
import { MAX_EXPRESSION_LENGTH } from '@actions/expressions/errors';
import { ExprError, clip, excerpt, type ExprPhase } from './errors.js';
import { EXTENSION_FUNCTIONS, FUNCTION_NAMES } from './functions.js';
import { KNOWN_CONTEXTS } from './template.js';

export interface Parsed {
  /** undefined for an empty expression (evaluates to null). */
  ast: Expr | undefined;
  /** Context names the expression reads, lower-cased, with their 1-based position. */
  contexts: { name: string; pos: number }[];
}

const CACHE_LIMIT = 5000;
const cache = new Map<string, Parsed>();

/**
 * Parses `expr`; `isContext(name)` says whether a (lower-cased) context name exists.
 * Throws ExprError EXPR_SYNTAX with col = 1-based position within `expr`.
 */
export function parseExpression(expr: string, isContext: (name: string) => boolean): Parsed {
  let parsed = cache.get(expr);
  if (!parsed) {
    parsed = parseUncached(expr, isContext);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(expr, parsed);
  }
  for (const c of parsed.contexts) {
    if (!isContext(c.name)) throw unknownContext(expr, c);
  }
  return parsed;
}

function unknownContext(expr: string, c: { name: string; pos: number }): ExprError {
  const original = expr.substr(c.pos - 1, c.name.length);
  return syntaxError(expr, `Unrecognized named-value: '${original}'`, c.pos, 'parsing');
}

export function lex(expr: string): Token[] {
  if (expr.length > MAX_EXPRESSION_LENGTH) {
    throw syntaxError(expr, `Exceeded max expression length ${MAX_EXPRESSION_LENGTH}`, 1, 'lexing');
  }
  let tokens: Token[];
  try {
    tokens = new Lexer(flattenLines(expr)).lex().tokens;
  } catch (e) {
    const message = (e as Error).message;
    const at = /Located at position (\d+)/.exec(message);
    const detail = message.replace(/\. Located at position.*$/s, '');
    throw syntaxError(expr, detail, at ? Number(at[1]) : 1, 'lexing', e);
  }
  for (const t of tokens) {
    if (t.type === TokenType.STRING) t.value = t.lexeme.slice(1, -1).replaceAll("''", "'");
  }
  return tokens;
}

function parseUncached(expr: string, isContext: (name: string) => boolean): Parsed {
  const tokens = lex(expr);
  const identifiers = tokens.filter(t => t.type === TokenType.IDENTIFIER).map(t => t.lexeme);
  let ast: Expr | undefined;
  try {
    ast = new Parser(tokens, identifiers, EXTENSION_FUNCTIONS).parse();
  } catch (e) {
    // Re-parse with the real context names: the library then reports the first error.
    const strict = strictContextNames(tokens, isContext);
    try {
      new Parser(lex(expr), strict, EXTENSION_FUNCTIONS).parse();
    } catch (strictError) {
      throw fromLibrary(expr, strictError);
    }
    throw fromLibrary(expr, e);
  }
  const contexts: Parsed['contexts'] = [];
  if (ast) walk(ast, expr, contexts);
  contexts.sort((a, b) => a.pos - b.pos);
  return { ast, contexts };
}

function strictContextNames(tokens: Token[], isContext: (name: string) => boolean): string[] {
  return tokens.filter(t => t.type === TokenType.IDENTIFIER && isContext(t.lexeme.toLowerCase())).map(t => t.lexeme);
}

/** Collects context reads, and rejects function names that only pass the library's check
 * because its function table is a plain object (`constructor(...)`). */
function walk(node: Expr, expr: string, contexts: Parsed['contexts']): void {
  if (node instanceof ContextAccess) {
    contexts.push({ name: node.name.lexeme.toLowerCase(), pos: node.name.range.start.column + 1 });
  } else if (node instanceof FunctionCall) {
    const name = node.functionName;
    if (!FUNCTION_NAMES.has(name.lexeme.toLowerCase())) {
      throw syntaxError(expr, `Unrecognized function: '${name.lexeme}'`, name.range.start.column + 1, 'parsing');
    }
  }
  for (const child of childrenOf(node)) walk(child, expr, contexts);
}

/** The expressions directly inside `node`, for walks over the syntax tree. */
export function childrenOf(node: Expr): readonly Expr[] {
  if (node instanceof FunctionCall || node instanceof Logical) return node.args;
  if (node instanceof Binary) return [node.left, node.right];
  if (node instanceof Unary) return [node.expr];
  if (node instanceof Grouping) return [node.group];
  if (node instanceof IndexAccess) return [node.expr, node.index];
  return [];
}

function fromLibrary(expr: string, e: unknown): ExprError {
  if (e instanceof ExprError) return e;
  if (e instanceof ExpressionError) {
    return syntaxError(expr, e.message, e.pos.column + 1, 'parsing', e);
  }
  return syntaxError(expr, (e as Error)?.message ?? String(e), 1, 'parsing', e);
}

export function syntaxError(expr: string, long: string, pos: number, phase: ExprPhase, cause?: unknown): ExprError {
  // A token can be as long as the expression (a 20,000-character string literal).
  const detail = clip(long);
  const hint = hintFor(detail);
  const shown = excerpt(expr, pos).text;
  const where = shown === expr ? expr : `${shown} (${expr.length} characters)`;
  return new ExprError('EXPR_SYNTAX', `${detail}. Located at position ${pos} within expression: ${where}. ${hint}`, {
    col: pos,
    cause,
    details: { expression: clip(expr), phase, detail, hint },
  });
}

function hintFor(detail: string): string {
  if (detail.startsWith('Unrecognized named-value')) {
    return `Contexts are: ${KNOWN_CONTEXTS.join(', ')}; write $\${ for a literal \${.`;
  }
  if (detail.startsWith('Unrecognized function')) return `Functions are: ${FUNCTION_DISPLAY}.`;
  if (detail === "Unexpected symbol: '='") return 'Compare with == or != (there is no =, === or !==).';
  return 'Fix the expression (see docs/expressions.md).';
}

const FUNCTION_DISPLAY = 'contains, startsWith, endsWith, format, join, toJSON, fromJSON, case, success, failure, always, cancelled';

/** Newlines outside string literals become spaces (see the header comment). */
function flattenLines(expr: string): string {
  if (!expr.includes('\n')) return expr;
  let out = '';
  let inString = false;
  for (const ch of expr) {
    if (ch === "'") inString = !inString;
    out += ch === '\n' && !inString ? ' ' : ch;
  }
  return out;
}
