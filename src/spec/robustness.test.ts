/**
 * Whatever a file holds, loading it ends in diagnostics, never an exception or an
 * internal error: the fixtures, with values swapped for wrong kinds, keys dropped and
 * renamed, at random but reproducibly (a fixed seed).
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { parseDocument } from 'yaml';
import { parseWorkflow } from './load.js';

const FIXTURES = ['seed-004.json', 'seed-004.yaml', 'seed-001-phases.json', 'seed-002-stages.yaml'];
const ODD: unknown[] = [null, 0, -1, 1.5, '', 'x', '${ 1 + }', [], [null], {}, { id: 5 }, true, '__proto__', 'toString', 'constructor'];

function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

function mutate(value: unknown, pick: (n: number) => number, depth: number): unknown {
  if (depth > 0 && pick(14) === 0) return ODD[pick(ODD.length)];
  if (Array.isArray(value)) return value.filter(() => pick(10) !== 0).map((v) => mutate(v, pick, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (pick(12) === 0) continue;
    out[pick(20) === 0 ? `${key}x` : key] = mutate(v, pick, depth + 1);
  }
  if (pick(10) === 0) Object.defineProperty(out, ['__proto__', 'hasOwnProperty', 'id', 'type', 'tasks'][pick(5)], { value: ODD[pick(ODD.length)], enumerable: true });
  return out;
}

test.each(FIXTURES)('mutations of %s end in diagnostics', (name) => {
  const base: unknown = parseDocument(readFileSync(new URL(`./fixtures/${name}`, import.meta.url).pathname, 'utf8')).toJS();
  const pick = random(name.length);
  let invalid = 0;
  for (let i = 0; i < 300; i++) {
    const text = JSON.stringify(mutate(base, pick, 0), null, 1);
    const result = parseWorkflow(text, i % 2 === 0 ? 'flow.json' : 'flow.yaml', { isOnPath: () => false });
    const bad = result.diagnostics.filter((d) => d.code === 'SPEC_INTERNAL' || !(d.line >= 1 && d.col >= 1));
    expect(bad, text).toEqual([]);
    expect(result.workflow === undefined).toBe(result.diagnostics.some((d) => d.severity === 'error'));
    if (result.workflow === undefined) invalid++;
  }
  expect(invalid).toBeGreaterThan(100);
});
