/**
 * Alert conditions are the expression language of task conditions (docs/expressions.md),
 * over the contexts of a run's end (notifications/contexts.ts), read with two allowances
 * for the way seed 004 writes them:
 *
 * - `===` and `!==` mean `==` and `!=` (JavaScript habits; the language has only those);
 * - `a * b` between two numbers or paths means `mul(a, b)`, the language's one arithmetic,
 *   so `execution.duration > workflow.expected_duration * 2` reads as written.
 *
 * Quoted text is left alone. Pure.
 */
import { evaluateCondition, evaluateExpression, ExprError } from '../../expr/index.js';

/** The contexts an alert's condition and template read (notifications/contexts.ts). */
export const ALERT_CONTEXTS = ['execution', 'workflow', 'metrics', 'error', 'alert'] as const;

const OPERAND = String.raw`(?:[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[\d+\])*|\d+(?:\.\d+)?)`;
/** An operand, a `*` (not a path's `.*`), another operand. */
const PRODUCT = new RegExp(String.raw`(${OPERAND})\s*\*\s*(${OPERAND})`);

/** The condition as the expression language reads it. */
export function alertExpression(condition: string): string {
  // Single-quoted strings ('' inside is a quote) split off; only the text between is rewritten.
  return condition
    .split(/('(?:[^']|'')*')/)
    .map((part, i) => (i % 2 === 1 ? part : rewrite(part)))
    .join('');
}

function rewrite(text: string): string {
  let out = text.replaceAll('===', '==').replaceAll('!==', '!=');
  // Leftmost first, so `a * b * c` becomes mul(mul(a, b), c).
  for (let match = PRODUCT.exec(out); match; match = PRODUCT.exec(out)) {
    out = `${out.slice(0, match.index)}mul(${match[1]}, ${match[2]})${out.slice(match.index + match[0].length)}`;
  }
  return out;
}

/**
 * What is wrong with an alert's condition, or undefined: parsed with every alert context
 * present (empty), so an unknown context or function, or a syntax error, is found before
 * any run ends.
 */
export function alertConditionProblem(condition: string): ExprError | undefined {
  if (condition.trim() === '') return new ExprError('EXPR_SYNTAX', 'the condition is empty', { col: 1 });
  try {
    alertHolds(condition, Object.fromEntries(ALERT_CONTEXTS.map((name) => [name, {}])));
    return undefined;
  } catch (error) {
    if (error instanceof ExprError && error.code === 'EXPR_SYNTAX') return error;
    return undefined;
  }
}

/** Whether the condition holds over `contexts`; throws an ExprError when it cannot be evaluated. */
export function alertHolds(condition: string, contexts: Record<string, unknown>): boolean {
  return evaluateCondition(alertExpression(condition), { contexts });
}

/** A `${ ... }` of an alert's template (`$${` is a literal `${`). */
const PART = /\$(\$)?\{\s*((?:[^}'"]|'(?:[^']|'')*')*?)\s*\}/g;

/**
 * An alert's template with each `${ expression }` replaced by its value over `contexts`
 * (text as is, null as nothing, other values as JSON). Every `${ }` is an expression here:
 * a message is not a shell command, so there is no shell variable to leave alone. Throws an
 * ExprError for a part that cannot be evaluated.
 */
export function renderAlertTemplate(template: string, contexts: Record<string, unknown>): string {
  return template.replace(PART, (whole, escaped: string | undefined, body: string) => {
    if (escaped !== undefined) return whole.slice(1);
    const value = evaluateExpression(alertExpression(body), { contexts });
    if (value === null || value === undefined) return '';
    return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/** What is wrong with an alert's template, or undefined (its parts parsed as alertConditionProblem does a condition). */
export function alertTemplateProblem(template: string): ExprError | undefined {
  for (const match of template.matchAll(PART)) {
    if (match[1] !== undefined) continue;
    const problem = alertConditionProblem(match[2]);
    if (problem) return problem;
  }
  return undefined;
}
