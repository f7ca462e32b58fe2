/**
 * GitHub's own expression conformance data (actions/languageservices testdata), run
 * through the public `evaluate` with contexts as plain JSON, so the lazy conversion is
 * what gets tested. Cases GitHub's TypeScript evaluator skips are skipped here too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExprError, evaluate } from './index.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
// GitHub's cases are vendored in tests/conformance/ with their licence, so every clone
// runs them from its own files.
const dir = path.join(repoRoot, 'tests/conformance/github-expressions');
if (!existsSync(dir)) {
  throw new Error(`GitHub's expression conformance cases are not at ${dir}: restore tests/conformance/ from git`);
}

interface Case {
  expr: string;
  contexts?: Record<string, unknown>;
  result?: { kind: string; value: unknown };
  err?: { kind: 'lexing' | 'parsing' | 'evaluation'; value: string };
  options?: { skip?: string[] };
}

function kindOf(value: unknown): string {
  if (value === null) return 'Null';
  if (Array.isArray(value)) return 'Array';
  switch (typeof value) {
    case 'string':
      return 'String';
    case 'number':
      return 'Number';
    case 'boolean':
      return 'Boolean';
    default:
      return 'Object';
  }
}

/** Runs one case; returns why it failed, or undefined. */
function check(c: Case): string | undefined {
  let value: unknown;
  try {
    value = evaluate(c.expr, { contexts: c.contexts ?? {} });
  } catch (e) {
    if (!c.err) return `threw ${String(e)}`;
    if (!(e instanceof ExprError)) return `threw a non-ExprError: ${String(e)}`;
    const wantCode = c.err.kind === 'evaluation' ? 'EXPR_EVAL' : 'EXPR_SYNTAX';
    if (e.code !== wantCode || e.phase !== c.err.kind) return `threw ${e.code}/${e.phase}, expected ${c.err.kind}: ${e.message}`;
    if (!e.message.includes(c.err.value)) return `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(c.err.value)}`;
    return undefined;
  }
  if (c.err) return `expected a ${c.err.kind} error, got ${JSON.stringify(value)}`;
  const want = c.result!;
  const kind = kindOf(value);
  if (kind !== want.kind) return `kind ${kind} (${JSON.stringify(value)}), expected ${want.kind}`;
  if (JSON.stringify(value) !== JSON.stringify(want.value)) return `value ${JSON.stringify(value)}, expected ${JSON.stringify(want.value)}`;
  return undefined;
}

const files = readdirSync(dir).filter(f => f.endsWith('.json')).sort();
let ran = 0;

describe('GitHub expression conformance', () => {
  it('finds the conformance data', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files)('%s', file => {
    const groups = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, Case[]>;
    const failures: string[] = [];
    for (const [group, cases] of Object.entries(groups)) {
      for (const c of cases) {
        if (c.options?.skip?.includes('typescript')) continue;
        ran++;
        const why = check(c);
        if (why) failures.push(`[${group}] ${JSON.stringify(c.expr).slice(0, 120)}: ${why}`);
      }
    }
    expect(failures, `${failures.length} failing case(s) in ${file}:\n${failures.join('\n')}`).toEqual([]);
  });

  it('ran every case', () => {
    expect(ran).toBe(1015);
  });
});
