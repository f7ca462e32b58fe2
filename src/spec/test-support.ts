/** Helpers for the spec tests: inline YAML without indentation noise, and finding diagnostics. */
import { expect } from 'vitest';
import type { Diagnostic } from './diagnostics.js';
import { parseWorkflow } from './load.js';
import type { LoadOptions, LoadResult } from './load.js';

/** Strips the common indentation and the first newline: line 1 is the first line written. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((acc, s, i) => acc + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').replace(/\n\s*$/, '\n').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

export function check(text: string, file = 'flow.yaml', options?: LoadOptions): LoadResult {
  return parseWorkflow(text, file, options);
}

/** The single diagnostic with `code`; fails (listing all) when there is not exactly one. */
export function only(result: LoadResult, code: string): Diagnostic {
  const matching = result.diagnostics.filter((d) => d.code === code);
  expect(matching, `diagnostics: ${JSON.stringify(result.diagnostics, null, 2)}`).toHaveLength(1);
  return matching[0];
}

/** `line:col message` of a diagnostic, for compact assertions. */
export function where(d: Diagnostic): string {
  return `${d.line}:${d.col} ${d.message}`;
}

/** Asserts the file is valid and returns its workflow. */
export function valid(result: LoadResult): NonNullable<LoadResult['workflow']> {
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
  expect(result.workflow).toBeDefined();
  return result.workflow!;
}

/** The codes of all diagnostics, in order. */
export function codes(result: LoadResult): string[] {
  return result.diagnostics.map((d) => d.code);
}
