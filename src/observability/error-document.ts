/**
 * One JSON shape for an error, whoever reports it: `baton ... --json`, the HTTP API, MCP.
 * `{"error": {code, category, message, details?}}`, with the stable code and its category
 * (error-categories.ts), so a program can act on the code and a person read the message.
 */
import { categoryOf, type ErrorCategory } from './error-categories.js';
import { BatonError } from './errors.js';

export interface ErrorDocument {
  error: { code: string; category: ErrorCategory; message: string; details?: Record<string, unknown> };
}

export function errorDocument(err: unknown): ErrorDocument {
  const error: ErrorDocument['error'] =
    err instanceof BatonError
      ? { code: err.code, category: categoryOf(err), message: err.message, ...(err.details ? { details: err.details } : {}) }
      : { code: 'UNKNOWN', category: categoryOf(err), message: err instanceof Error ? err.message : String(err) };
  return { error };
}

/** The document as one line of JSON; details that cannot be serialised (a cycle) are dropped, never the error. */
export function errorDocumentText(err: unknown): string {
  const doc = errorDocument(err);
  try {
    return JSON.stringify(doc);
  } catch {
    return JSON.stringify({ error: { ...doc.error, details: undefined } });
  }
}
