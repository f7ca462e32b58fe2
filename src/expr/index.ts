/**
 * Public face of the expression layer (stub; implementation follows).
 */
export const KNOWN_CONTEXTS: readonly string[] = ['env', 'inputs', 'tasks', 'item', 'index', 'run', 'workflow', 'result', 'secrets'];

export interface ExprProblem {
  code: 'EXPR_SYNTAX';
  message: string;
  /** 1-based column within the source string. */
  col: number;
}

export interface Scope {
  /** Plain JS/JSON values, converted lazily; may be huge. */
  contexts: Record<string, unknown>;
  /** For success() failure() always() cancelled(); default success=true. */
  status?: { success: boolean; failure: boolean; cancelled: boolean };
}

const todo = (): never => {
  throw new Error('expr: not implemented yet');
};

export function checkTemplate(_src: string): ExprProblem[] { return todo(); }
export function checkCondition(_src: string): ExprProblem[] { return todo(); }
export function evaluate(_expression: string, _scope: Scope): unknown { return todo(); }
export function evaluateCondition(_src: string, _scope: Scope): boolean { return todo(); }
export function renderTemplate(_src: string, _scope: Scope): unknown { return todo(); }
export function renderShell(_src: string, _scope: Scope): string { return todo(); }
export function usesStatusFunction(_src: string): boolean { return todo(); }
export function referencesContext(_src: string, _name: string): boolean { return todo(); }
