/**
 * A diagnostic is one problem found in a workflow file, with where it is (1-based
 * line:col of the offending key or value) and, when we can tell, what to do about it.
 */
import type { Key, Loc, SourceIndex } from './positions.js';

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** Stable code such as SPEC_UNKNOWN_FIELD; programs and tests match on it. */
  code: string;
  message: string;
  hint?: string;
  file: string;
  line: number;
  col: number;
  /** Where in the document, e.g. `tasks[2].depends_on[0]`. */
  path?: string;
}

/** `file:line:col: error SPEC_X: message` and, on the next line, `  hint: ...`. */
export function formatDiagnostic(d: Diagnostic): string {
  const head = `${d.file}:${d.line}:${d.col}: ${d.severity} ${d.code}: ${d.message}`;
  return d.hint === undefined ? head : `${head}\n  hint: ${d.hint}`;
}

/** Past this many, the rest are summed up in one last diagnostic. */
export const MAX_DIAGNOSTICS = 200;

/** Collects diagnostics for one file, turning source offsets into line:col. */
export class Reporter {
  private readonly list: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private errors = 0;

  constructor(
    readonly file: string,
    readonly index: SourceIndex,
  ) {}

  error(code: string, message: string, at: Loc, hint?: string): void {
    this.add('error', code, message, at, hint);
  }

  warning(code: string, message: string, at: Loc, hint?: string): void {
    this.add('warning', code, message, at, hint);
  }

  /** Shorthands for the value / the key of `container[key]`. */
  value(container: object, key?: Key): Loc {
    return this.index.valueLoc(container, key);
  }

  key(container: object, key: Key): Loc {
    return this.index.keyLoc(container, key);
  }

  get errorCount(): number {
    return this.errors;
  }

  /** Sorted by position, duplicates (same code, place and message) dropped, capped. */
  result(): Diagnostic[] {
    const sorted = [...this.list].sort((a, b) => a.line - b.line || a.col - b.col || (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
    if (sorted.length <= MAX_DIAGNOSTICS) return sorted;
    const shown = sorted.slice(0, MAX_DIAGNOSTICS);
    const rest = sorted.length - MAX_DIAGNOSTICS;
    const last = sorted[MAX_DIAGNOSTICS];
    shown.push({
      severity: sorted.slice(MAX_DIAGNOSTICS).some((d) => d.severity === 'error') ? 'error' : 'warning',
      code: 'SPEC_TOO_MANY_PROBLEMS',
      message: `${rest} more problem${rest === 1 ? '' : 's'} not shown`,
      hint: 'fix the ones above and run again',
      file: this.file,
      line: last.line,
      col: last.col,
    });
    return shown;
  }

  private add(severity: Diagnostic['severity'], code: string, message: string, at: Loc, hint?: string): void {
    const { line, col } = this.index.lineCol(at.offset);
    const id = `${code}\u0000${line}\u0000${col}\u0000${message}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    if (severity === 'error') this.errors++;
    const d: Diagnostic = { severity, code, message, file: this.file, line, col };
    if (hint !== undefined) d.hint = hint;
    if (at.path !== '') d.path = at.path;
    this.list.push(d);
  }
}
