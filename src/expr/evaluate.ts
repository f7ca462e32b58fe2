/**
 * Evaluating a parsed expression over a Scope. The Evaluator subclass changes three
 * things: a context the scope does not hold reads as null (the library would crash on
 * it), function lookup goes through a Map only, and index access on a wrapped JS array
 * reads one element instead of converting the whole array first.
 */
import { Evaluator, data, type Expr } from '@actions/expressions';
import { Star, type ContextAccess, type FunctionCall, type IndexAccess } from '@actions/expressions/ast';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { FilteredArray } from '@actions/expressions/filtered_array';
import { idxHelper } from '@actions/expressions/idxHelper';
import { ExprError, clip } from './errors.js';
import { DEFAULT_STATUS, buildFunctions, type RunStatus } from './functions.js';
import { Converter, LazyArray, LazyDictionary } from './lazy-data.js';

type Data = data.ExpressionData;
const NULL = new data.Null();

class ScopedEvaluator extends Evaluator {
  constructor(
    ast: Expr,
    private readonly root: data.Dictionary,
    private readonly fns: Map<string, FunctionDefinition>,
  ) {
    super(ast, root, fns);
  }

  override visitContextAccess(contextAccess: ContextAccess): Data {
    return this.root.get(contextAccess.name.lexeme) ?? NULL;
  }

  override visitFunctionCall(call: FunctionCall): Data {
    const args = call.args.map(arg => this.eval(arg));
    const f = this.fns.get(call.functionName.lexeme.toLowerCase());
    if (!f) throw new Error(`Unrecognized function: '${call.functionName.lexeme}'`);
    return f.call(...args);
  }

  override visitIndexAccess(ia: IndexAccess): Data {
    let idx: idxHelper;
    if (ia.index instanceof Star) {
      idx = new idxHelper(true, undefined);
    } else {
      let index: Data;
      try {
        index = this.eval(ia.index);
      } catch (e) {
        throw new Error(`could not evaluate index for index access: ${(e as Error).message}`, { cause: e });
      }
      idx = new idxHelper(false, index);
    }
    const target = this.eval(ia.expr);
    if (target instanceof FilteredArray) return filteredAccess(target, idx);
    if (target.kind === data.Kind.Array) return arrayAccess(target as data.Array, idx);
    if (target.kind === data.Kind.Dictionary) return objectAccess(target as data.Dictionary, idx);
    return idx.star ? new FilteredArray() : NULL;
  }
}

function arrayLength(a: data.Array): number {
  return a instanceof LazyArray ? a.length : a.values().length;
}

/** A loop, not `new FilteredArray(...values)`: spreading 100k arguments overflows the stack. */
function filtered(values: Data[]): FilteredArray {
  const fa = new FilteredArray();
  for (const v of values) fa.add(v);
  return fa;
}

function arrayAccess(a: data.Array, idx: idxHelper): Data {
  if (idx.star) return filtered(a.values());
  if (idx.int !== undefined && idx.int < arrayLength(a)) return a.get(idx.int);
  return NULL;
}

function objectAccess(obj: data.Dictionary, idx: idxHelper): Data {
  if (idx.star) return filtered(obj.values());
  return (idx.str !== undefined ? obj.get(idx.str) : undefined) ?? NULL;
}

/** `x.*.y`: apply the access to every element, keeping only the hits. */
function filteredAccess(fa: FilteredArray, idx: idxHelper): Data {
  const result = new FilteredArray();
  for (const item of fa.values()) {
    if (item.kind === data.Kind.Dictionary) {
      const d = item as data.Dictionary;
      if (idx.star) for (const v of d.values()) result.add(v);
      else if (idx.str !== undefined) {
        const v = d.get(idx.str);
        if (v !== undefined) result.add(v);
      }
    } else if (item.kind === data.Kind.Array) {
      const a = item as data.Array;
      if (idx.star) for (const v of a.values()) result.add(v);
      else if (idx.int !== undefined && idx.int < arrayLength(a)) result.add(a.get(idx.int));
    }
  }
  return result;
}

/** One evaluation's view of a scope: the converter memoizes wrappers for this evaluation only. */
export interface EvalScope {
  contexts: Record<string, unknown>;
  status?: RunStatus;
}

/** Evaluates a parsed AST; failures become ExprError EXPR_EVAL naming `expr`. */
export function evaluateAst(ast: Expr | undefined, expr: string, scope: EvalScope): Data {
  if (!ast) return NULL;
  const conv = new Converter();
  const root = new LazyDictionary(scope.contexts, conv);
  const fns = buildFunctions(scope.status ?? DEFAULT_STATUS, conv);
  try {
    return new ScopedEvaluator(ast, root, fns).evaluate();
  } catch (e) {
    throw evalError(expr, e);
  }
}

export function evalError(expr: string, e: unknown): ExprError {
  if (e instanceof ExprError) return e;
  const reason = e instanceof RangeError ? 'the value is nested too deeply (or refers to itself)' : ((e as Error)?.message ?? String(e));
  const detail = `Cannot evaluate "${clip(expr)}": ${reason}`;
  const hint = 'Check the function arguments and the values the expression reads.';
  return new ExprError('EXPR_EVAL', `${detail}. ${hint}`, {
    col: 1,
    cause: e,
    details: { expression: clip(expr), phase: 'evaluation', detail, hint },
  });
}
