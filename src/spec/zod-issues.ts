/**
 * zod issues -> diagnostics. Each issue's path is walked through the raw document to
 * find the offending key or value; unions are unpacked to the option the value was
 * closest to, so `depends_on: [a, 5]` reports `depends_on[1]`, not the whole field.
 */
import type { z } from 'zod';
import type { Reporter } from './diagnostics.js';
import type { Key } from './positions.js';
import { allowedKeys } from './schema-kit.js';
import { closest, didYouMean } from './suggest.js';

type Issue = z.core.$ZodIssue;

export function reportIssues(issues: readonly Issue[], raw: unknown, rep: Reporter, base: readonly Key[] = []): void {
  for (const issue of issues) reportIssue(issue, raw, rep, base);
}

function reportIssue(issue: Issue, raw: unknown, rep: Reporter, base: readonly Key[]): void {
  const path = [...base, ...(issue.path as Key[])];
  const value = valueAt(raw, path);
  const { code: tagged, text } = untag(issue.message);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const container = value as object;
      const known = allowedKeys(container) ?? [];
      for (const key of issue.keys) {
        const suggestion = closest(key, known);
        const opener = emptyKeyBefore(container, key);
        const hint =
          opener !== undefined
            ? `if it belongs to \`${opener}:\` (empty just above it), indent it under \`${opener}:\``
            : suggestion !== undefined || known.length === 0
              ? undefined
              : known.length <= 12
                ? `allowed here: ${known.join(', ')}`
                : 'see docs/workflow-format.md for the fields allowed here';
        rep.error('SPEC_UNKNOWN_FIELD', `unknown field '${key}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`, rep.index.pathLoc(raw, [...path, key], 'key'), hint);
      }
      return;
    }
    case 'invalid_union': {
      const best = bestOption(issue);
      if (best !== undefined) return reportIssues(best, raw, rep, path);
      return typeProblem(path, value, raw, rep, tagged, isDefault(text) ? 'expected another kind of value' : text, unionValues(issue));
    }
    case 'invalid_type':
      return typeProblem(path, value, raw, rep, tagged, isDefault(text) ? `expected ${friendly(issue.expected)}` : text, []);
    case 'invalid_value': {
      if (value === undefined) return typeProblem(path, value, raw, rep, tagged, text, []);
      const values = issue.values.map(String);
      const got = describeValue(value);
      if (tagged !== undefined) {
        rep.error(tagged, `unknown ${text} ${got}${typeof value === 'string' ? didYouMean(value, values) : ''}`, rep.index.pathLoc(raw, path), `known: ${values.join(', ')}`);
      } else {
        rep.error('SPEC_INVALID_VALUE', `expected one of ${values.join(', ')}, got ${got}${typeof value === 'string' ? didYouMean(value, values) : ''}`, rep.index.pathLoc(raw, path));
      }
      return;
    }
    default:
      rep.error(tagged ?? 'SPEC_INVALID_VALUE', isDefault(text) ? `invalid value ${describeValue(value)}: ${text.replace(/^Invalid input:?\s*/i, '')}` : text, rep.index.pathLoc(raw, path));
  }
}

/** The key just before `key` in `container` when its value was left empty (`retry:`, then `attempts: 3` not indented under it). */
function emptyKeyBefore(container: object, key: string): string | undefined {
  const keys = Object.keys(container);
  const previous = keys[keys.indexOf(key) - 1];
  return previous !== undefined && (container as Record<string, unknown>)[previous] === null ? previous : undefined;
}

function typeProblem(path: Key[], value: unknown, raw: unknown, rep: Reporter, tagged: string | undefined, text: string, values: string[]): void {
  if (value === undefined && path.length > 0) {
    const field = path[path.length - 1];
    rep.error('SPEC_MISSING_FIELD', `missing required field '${String(field)}'`, rep.index.pathLoc(raw, path.slice(0, -1)), `add \`${String(field)}:\``);
    return;
  }
  const suggestion = typeof value === 'string' && values.length > 0 ? didYouMean(value, values) : '';
  const field = path[path.length - 1];
  const hint = value === null && typeof field === 'string' ? `if the lines below belong to \`${field}:\`, indent them under it` : undefined;
  rep.error(tagged ?? 'SPEC_TYPE', `${text}, got ${describeValue(value)}${suggestion}`, rep.index.pathLoc(raw, path), hint);
}

/**
 * The union option the value was meant to be: one whose issues are not about the kind of
 * value itself (those are deeper, or about its content). The one with fewest issues wins.
 */
function bestOption(issue: Extract<Issue, { code: 'invalid_union' }>): Issue[] | undefined {
  let best: Issue[] | undefined;
  for (const option of issue.errors) {
    const rootKind = option.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_union' || i.code === 'invalid_value'));
    if (rootKind) continue;
    if (best === undefined || option.length < best.length) best = option;
  }
  return best;
}

function unionValues(issue: Extract<Issue, { code: 'invalid_union' }>): string[] {
  return issue.errors.flat().flatMap((i) => (i.code === 'invalid_value' && i.path.length === 0 ? i.values.map(String) : []));
}

function untag(message: string): { code?: string; text: string } {
  const match = /^\[(SPEC_[A-Z_]+)\]\s*(.*)$/s.exec(message);
  return match === null ? { text: message } : { code: match[1], text: match[2] };
}

function isDefault(message: string): boolean {
  return /^Invalid (input|option)/.test(message);
}

function friendly(expectedKind: string): string {
  switch (expectedKind) {
    case 'string':
      return 'a string';
    case 'number':
    case 'int':
      return 'a number';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'a list';
    case 'object':
    case 'record':
      return 'a mapping';
    default:
      return expectedKind;
  }
}

/** How a value reads in a message: `a number`, `'docker'`, `a list`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 57)}...` : value}'`;
  if (typeof value === 'number') return Number.isInteger(value) ? `the number ${value}` : `the number ${value}`;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function valueAt(raw: unknown, path: readonly Key[]): unknown {
  let current = raw;
  for (const key of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = Object.hasOwn(current, key) ? (current as Record<Key, unknown>)[key] : undefined;
  }
  return current;
}
