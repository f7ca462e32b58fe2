/**
 * What a template or a condition reads, for `baton validate`: each context it names
 * (`inputs`, `tasks`, a misspelt `input`), with the first two property names when they
 * are written out (`tasks.build.outputs` -> build, outputs), and where each is. The
 * expressions are parsed with every name allowed, so that a misspelt context is one read
 * among the others (and can get a "did you mean") instead of a syntax error that hides
 * the rest.
 */
import { data, type Expr } from '@actions/expressions';
import { ContextAccess, IndexAccess, Literal } from '@actions/expressions/ast';
import { ExprError, clip, quoteAround } from './errors.js';
import { childrenOf, parseExpression } from './parse.js';
import { ShellQuoter } from './shell.js';
import { ALL_CONTEXTS, conditionToExpression, scanTemplate, type ContextNames } from './template.js';

export interface Name {
  /** As written (case kept). */
  name: string;
  /** 0-based offset of its first character in the source string. */
  at: number;
}

export interface ContextRead extends Name {
  /** The properties read, as far as they are written as names or string literals (at most two). */
  path: Name[];
}

export interface Inspection {
  /** Syntax errors (1-based columns), with what to do when it can be told. */
  problems: { message: string; col: number; hint?: string }[];
  reads: ContextRead[];
  /** Parts that are a name alone, without spaces (`${item}`), which the task's contexts made expressions. */
  bare: Name[];
  /** Offsets of each `${` left for the shell (templates only). */
  shell: number[];
}

/** The reads of a template for a task having `contexts` (which decides what a bare `${name}` is). */
export function inspectTemplate(src: string, contexts: ContextNames = ALL_CONTEXTS): Inspection {
  const scan = scanTemplate(src, contexts);
  const out: Inspection = { problems: scan.problems.map((p) => ({ ...p })), reads: [], bare: [], shell: scan.shell };
  for (const part of scan.parts) {
    if (part.kind !== 'expr' || part.body.trim() === '') continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part.body)) out.bare.push({ name: part.body, at: part.offset });
    readsOf(part.body, part.offset, out, src, 'template');
  }
  return out;
}

/** The reads of a condition (the whole string is one expression). */
export function inspectCondition(src: string): Inspection {
  const out: Inspection = { problems: [], reads: [], bare: [], shell: [] };
  if (src.trim() === '') return out;
  const { expr, problems } = conditionToExpression(src);
  if (problems.length > 0) {
    out.problems.push(...problems);
    return out;
  }
  readsOf(expr, 0, out, src, 'condition');
  return out;
}

function readsOf(expr: string, offset: number, out: Inspection, src: string, what: string): void {
  let ast: Expr | undefined;
  try {
    ast = parseExpression(expr, () => true).ast;
  } catch (e) {
    if (!(e instanceof ExprError)) throw e;
    const detail = (e.details?.detail as string | undefined) ?? e.message;
    const hint = (e.details?.hint as string | undefined) ?? '';
    const col = offset + e.col;
    const problem: Inspection['problems'][number] = { message: `${clip(detail)}, at column ${col} of ${what} ${quoteAround(src, col)}`, col };
    if (hint !== '') problem.hint = hint;
    out.problems.push(problem);
    return;
  }
  if (ast !== undefined) visit(ast, offset, out.reads);
}

function visit(node: Expr, offset: number, reads: ContextRead[]): void {
  if (node instanceof IndexAccess || node instanceof ContextAccess) {
    const indexes: Expr[] = [];
    let base: Expr = node;
    while (base instanceof IndexAccess) {
      indexes.unshift(base.index);
      base = base.expr;
    }
    if (base instanceof ContextAccess) {
      const path: Name[] = [];
      for (const index of indexes) {
        if (path.length === 2 || !(index instanceof Literal) || index.literal.kind !== data.Kind.String) break;
        const quoted = index.token.lexeme.startsWith("'") ? 1 : 0;
        path.push({ name: index.literal.coerceString(), at: offset + index.token.range.start.column + quoted });
      }
      reads.push({ name: base.name.lexeme, at: offset + base.name.range.start.column, path });
    } else visit(base, offset, reads);
    for (const index of indexes) if (!(index instanceof Literal)) visit(index, offset, reads);
  } else {
    for (const child of childrenOf(node)) visit(child, offset, reads);
  }
}

/**
 * Whether a shell reading `command` takes the text at an offset as it is (inside '...',
 * or a heredoc with a quoted delimiter). Asked for offsets in increasing order, it reads
 * the command once however many are asked.
 */
export function literalInShell(command: string): (offset: number) => boolean {
  const quoter = new ShellQuoter();
  let fed = 0;
  return (offset) => {
    if (offset > fed) {
      quoter.feed(command.slice(fed, offset));
      fed = offset;
    }
    return quoter.literal;
  };
}
