import { BatonError } from '../observability/errors.js';

/**
 * EXPR_SYNTAX: the expression (or the `${ }` around it) cannot be read.
 * EXPR_EVAL: it was read, but evaluating it failed (bad format string, bad JSON...).
 * EXPR_URL: a value would land where it could change a URL's scheme, host or path (url.ts).
 */
export type ExprErrorCode = 'EXPR_SYNTAX' | 'EXPR_EVAL' | 'EXPR_URL';

/** Where a syntax error came from; the conformance data tells lexing and parsing apart. */
export type ExprPhase = 'lexing' | 'parsing' | 'evaluation';

export class ExprError extends BatonError {
  declare readonly code: ExprErrorCode;
  /** 1-based column of the offending character within the string the caller passed in. */
  readonly col: number;

  constructor(
    code: ExprErrorCode,
    message: string,
    options: { col: number; cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(code, message, { cause: options.cause, details: { ...options.details, col: options.col } });
    this.col = options.col;
  }

  get phase(): ExprPhase {
    const phase = this.details?.phase;
    return phase === 'lexing' || phase === 'parsing' ? phase : 'evaluation';
  }
}

/** Shortens a source string for messages so a 1 MB expression does not become a 1 MB message. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/**
 * The part of `text` around 1-based column `col`, for messages about a problem there: the
 * whole text when it is short, else `max` characters centred on the column with `…` where
 * cut. `col` is the column within the excerpt (for a caret under it).
 */
export function excerpt(text: string, col: number, max = 120): { text: string; col: number } {
  if (text.length <= max) return { text, col };
  const at = Math.min(Math.max(col - 1, 0), text.length);
  const start = Math.max(0, Math.min(at - (max >> 1), text.length - max));
  const end = Math.min(text.length, start + max);
  const head = start > 0 ? '…' : '';
  return { text: `${head}${text.slice(start, end)}${end < text.length ? '…' : ''}`, col: at - start + head.length + 1 };
}

/** `"…around the column…" (N characters)` for a long text, `"text"` for a short one. */
export function quoteAround(text: string, col: number): string {
  const { text: shown } = excerpt(text, col);
  return shown === text ? `"${text}"` : `"${shown}" (${text.length} characters)`;
}
