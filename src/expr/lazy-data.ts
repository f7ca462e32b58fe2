/**
 * Contexts arrive as plain JS values (the engine's view of a run: `tasks` may hold
 * 100,000 entries). The library evaluates over its own data classes, so values are
 * wrapped on demand: a LazyDictionary/LazyArray converts only the member an expression
 * reads, and only once per evaluation (a Converter memoizes wrappers by source object,
 * which also keeps the library's reference equality for objects: `tasks.a == tasks.a`).
 *
 * Lookups are own-property only, so `__proto__` or `constructor` read as null.
 */
import { data } from '@actions/expressions';

type Data = data.ExpressionData;
const NULL = new data.Null();

export class Converter {
  private readonly memo = new WeakMap<object, Data>();

  toData(value: unknown): Data {
    switch (typeof value) {
      case 'string':
        return new data.StringData(value);
      case 'number':
        return new data.NumberData(value);
      case 'boolean':
        return new data.BooleanData(value);
      case 'bigint':
        return new data.NumberData(Number(value));
      case 'object':
        return value === null ? NULL : this.wrap(value);
      default:
        return NULL; // undefined, functions, symbols
    }
  }

  private wrap(value: object): Data {
    if (value instanceof Date) {
      return new data.StringData(Number.isNaN(value.getTime()) ? '' : value.toISOString());
    }
    const known = this.memo.get(value);
    if (known) return known;
    const wrapped = Array.isArray(value)
      ? new LazyArray(value, this)
      : new LazyDictionary(value as Record<string, unknown>, this);
    this.memo.set(value, wrapped);
    return wrapped;
  }
}

/** A Dictionary over a plain object; keys match case-insensitively, as GitHub's do. */
export class LazyDictionary extends data.Dictionary {
  /** lower-cased key -> first own key with that spelling; built on the first case miss. */
  private lowerKeys?: Map<string, string>;

  constructor(
    readonly source: Record<string, unknown>,
    private readonly conv: Converter,
  ) {
    super();
  }

  override get(key: string): Data | undefined {
    const actual = this.findKey(key);
    return actual === undefined ? undefined : this.conv.toData(this.source[actual]);
  }

  findKey(key: string): string | undefined {
    if (Object.hasOwn(this.source, key)) return key;
    this.lowerKeys ??= lowerIndex(this.source);
    return this.lowerKeys.get(key.toLowerCase());
  }

  override values(): Data[] {
    return this.uniqueKeys().map(k => this.conv.toData(this.source[k]));
  }

  override pairs(): ReturnType<data.Dictionary['pairs']> {
    return this.uniqueKeys().map(key => ({ key, value: this.conv.toData(this.source[key]) }));
  }

  override add(): void {
    throw new Error('context values are read-only');
  }

  /** Own keys, dropping later ones that differ only in case (the library keeps the first). */
  private uniqueKeys(): string[] {
    const seen = new Set<string>();
    return Object.keys(this.source).filter(k => {
      const lower = k.toLowerCase();
      if (seen.has(lower)) return false;
      seen.add(lower);
      return true;
    });
  }
}

function lowerIndex(source: Record<string, unknown>): Map<string, string> {
  const index = new Map<string, string>();
  for (const k of Object.keys(source)) {
    const lower = k.toLowerCase();
    if (!index.has(lower)) index.set(lower, k);
  }
  return index;
}

export class LazyArray extends data.Array {
  private all?: Data[];

  constructor(
    readonly source: readonly unknown[],
    private readonly conv: Converter,
  ) {
    super();
  }

  get length(): number {
    return this.source.length;
  }

  override get(index: number): Data {
    return this.conv.toData(this.source[index]);
  }

  override values(): Data[] {
    this.all ??= Array.from(this.source, v => this.conv.toData(v));
    return this.all;
  }

  override add(): void {
    throw new Error('context values are read-only');
  }
}

/** Library data back to plain JS. Wrapped context values come back as the original objects. */
export function toPlain(value: Data): unknown {
  if (value instanceof LazyDictionary || value instanceof LazyArray) return value.source;
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.String:
    case data.Kind.Number:
    case data.Kind.Boolean:
      return (value as data.StringData | data.NumberData | data.BooleanData).value;
    case data.Kind.Array:
      return (value as data.Array).values().map(toPlain);
    default:
      return Object.fromEntries((value as data.Dictionary).pairs().map(p => [p.key, toPlain(p.value)]));
  }
}

/** How a value reads inside a string, the GitHub way: null -> '', objects -> JSON, 1.50 -> '1.5'. */
export function toText(value: Data): string {
  if (value.primitive) return value.coerceString();
  return JSON.stringify(value, data.replacer, 2);
}

export function isTruthy(value: Data): boolean {
  switch (value.kind) {
    case data.Kind.Null:
      return false;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Number: {
      const n = (value as data.NumberData).value;
      return n !== 0 && !Number.isNaN(n);
    }
    case data.Kind.String:
      return (value as data.StringData).value.length > 0;
    default:
      return true;
  }
}
