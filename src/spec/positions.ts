/**
 * Where each value of a workflow file came from. The loader turns the YAML/JSON document
 * into plain objects and arrays ("raw" values) and records, per container, the byte
 * spans of each key and value. Importers build new containers from old ones and copy the
 * spans across, so a problem found in the imported (canonical) shape still points into
 * the original file. Positions are only turned into line:col when a diagnostic is made.
 */
export type Key = string | number;

/** A stretch of the source text, with the path of the value there (`tasks[2].depends_on`). */
export interface Span {
  start: number;
  end: number;
  path: string;
  /** For string scalars: how the string was written, to map columns inside it. */
  style?: string;
}

export interface Loc {
  offset: number;
  path: string;
}

interface Container {
  self: Span;
  keys: Map<Key, Span>;
  values: Map<Key, Span>;
}

export function formatPath(parent: string, key: Key): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

export class SourceIndex {
  private readonly containers = new WeakMap<object, Container>();
  /** Per string value: where each of its characters is (charMap), built when first asked. */
  private readonly charMaps = new WeakMap<Span, Int32Array | null>();
  private lineStarts: number[] | undefined;

  constructor(readonly text: string) {}

  /** 1-based line and column (in UTF-16 units, as editors count) of a source offset. */
  lineCol(offset: number): { line: number; col: number } {
    const at = Math.max(0, Math.min(offset, this.text.length));
    if (this.lineStarts === undefined) {
      this.lineStarts = [0];
      for (let i = this.text.indexOf('\n'); i !== -1; i = this.text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    }
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= at) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, col: at - starts[low] + 1 };
  }

  register(container: object, self: Span): void {
    this.containers.set(container, { self, keys: new Map(), values: new Map() });
  }

  setChild(container: object, key: Key, keySpan: Span | undefined, valueSpan: Span): void {
    const info = this.containers.get(container);
    if (info === undefined) return;
    if (keySpan !== undefined) info.keys.set(key, keySpan);
    info.values.set(key, valueSpan);
  }

  selfSpan(container: object): Span | undefined {
    return this.containers.get(container)?.self;
  }

  valueSpan(container: object, key: Key): Span | undefined {
    return this.containers.get(container)?.values.get(key);
  }

  /** Registers `dst` (built by an importer) as coming from `src`. */
  derive<T extends object>(dst: T, src: object): T {
    const self = this.selfSpan(src);
    if (self !== undefined) this.register(dst, self);
    return dst;
  }

  /**
   * Sets `dst[dstKey] = value` and points it at `src[srcKey]` in the file (or at `src`
   * itself when the value was not written there, e.g. a default).
   */
  put(dst: Record<string, unknown> | unknown[], dstKey: Key, value: unknown, src: object, srcKey?: Key): void {
    defineOwn(dst, dstKey, value);
    const info = this.containers.get(src);
    if (info === undefined) return;
    const valueSpan = srcKey === undefined ? undefined : info.values.get(srcKey);
    const keySpan = srcKey === undefined ? undefined : info.keys.get(srcKey);
    this.setChild(dst, dstKey, keySpan, valueSpan ?? info.self);
  }

  /** The value at `container[key]`, or the container itself when the key is absent. */
  valueLoc(container: object, key?: Key): Loc {
    const info = this.containers.get(container);
    if (info === undefined) return { offset: 0, path: '' };
    if (key === undefined) return locOf(info.self);
    const span = info.values.get(key);
    return span === undefined ? { offset: info.self.start, path: formatPath(info.self.path, key) } : locOf(span);
  }

  /** The key `key` of `container` (`depend_on:`), falling back to its value. */
  keyLoc(container: object, key: Key): Loc {
    const span = this.containers.get(container)?.keys.get(key);
    return span === undefined ? this.valueLoc(container, key) : locOf(span);
  }

  /**
   * The position of character `index` of the string `container[key]`: exact for plain and
   * quoted one-line scalars and literal blocks (`|`), the scalar's start otherwise.
   */
  charLoc(container: object, key: Key, index: number): Loc {
    const loc = this.valueLoc(container, key);
    const span = this.valueSpan(container, key);
    const value = (container as Record<Key, unknown>)[key];
    if (span === undefined || typeof value !== 'string') return loc;
    if (index <= 0) return { offset: span.start + (span.style?.startsWith('QUOTE') ? 1 : 0), path: loc.path };
    if (index >= value.length) return loc;
    let map = this.charMaps.get(span);
    if (map === undefined) this.charMaps.set(span, (map = charMap(this.text, span, value)));
    if (map === null || map[index] < 0) return loc;
    // Checked against the text: a mapping gone wrong falls back to the value's start.
    const absolute = span.start + map[index];
    const ch = this.text[absolute];
    return ch === value[index] || ch === '\\' || ch === "'" ? { offset: absolute, path: loc.path } : loc;
  }

  /** Walks `path` from `root` and returns the deepest position on the way. */
  pathLoc(root: unknown, path: readonly Key[], part: 'key' | 'value' = 'value'): Loc {
    let current: unknown = root;
    let loc: Loc = typeof root === 'object' && root !== null ? this.valueLoc(root) : { offset: 0, path: '' };
    for (let i = 0; i < path.length; i++) {
      if (typeof current !== 'object' || current === null) {
        return { offset: loc.offset, path: path.slice(i).reduce<string>((p, k) => formatPath(p, k), loc.path) };
      }
      const key = path[i];
      const last = i === path.length - 1;
      loc = last && part === 'key' ? this.keyLoc(current, key) : this.valueLoc(current, key);
      current = (current as Record<Key, unknown>)[key];
    }
    return loc;
  }
}

function locOf(span: Span): Loc {
  return { offset: span.start, path: span.path };
}

export function defineOwn(target: Record<string, unknown> | unknown[], key: Key, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else (target as Record<Key, unknown>)[key] = value;
}

/**
 * Source offset (from the span's start) of each character of `value`, for the styles whose
 * characters can be placed; null for the others. Built once per string, so a field with
 * thousands of problems costs one pass, not one pass per problem.
 */
function charMap(text: string, span: Span, value: string): Int32Array | null {
  const source = text.slice(span.start, span.end);
  switch (span.style) {
    case 'PLAIN':
      return source.includes('\n') ? null : Int32Array.from({ length: value.length }, (_, i) => i);
    case 'QUOTE_SINGLE':
    case 'QUOTE_DOUBLE':
      return source.includes('\n') ? null : quotedMap(source, value.length, span.style === 'QUOTE_DOUBLE');
    case 'BLOCK_LITERAL':
      return literalMap(source, value);
    default:
      return null;
  }
}

/** Offsets within a one-line quoted scalar's source of each value character. */
function quotedMap(source: string, length: number, double: boolean): Int32Array | null {
  const map = new Int32Array(length);
  let at = 1;
  for (let i = 0; i < length; i++) {
    if (at >= source.length - 1) return null;
    map[i] = at;
    if (double && source[at] === '\\') {
      const next = source[at + 1];
      at += next === 'x' ? 4 : next === 'u' ? 6 : next === 'U' ? 10 : 2;
    } else if (!double && source[at] === "'" && source[at + 1] === "'") at += 2;
    else at += 1;
  }
  return map;
}

/** Offsets within a literal block scalar's source (`|` header line, then indented lines). */
function literalMap(source: string, value: string): Int32Array | null {
  const lines = source.split('\n');
  const firstText = lines.slice(1).find((l) => l.trim() !== '');
  if (firstText === undefined) return null;
  const indent = firstText.length - firstText.trimStart().length;
  const map = new Int32Array(value.length).fill(-1);
  let lineStart = lines[0].length + 1;
  let lineNo = 1;
  let column = 0;
  for (let i = 0; i < value.length; i++) {
    if (lineNo >= lines.length) break;
    map[i] = lineStart + indent + column;
    if (value[i] === '\n') {
      lineStart += lines[lineNo].length + 1;
      lineNo++;
      column = 0;
    } else column++;
  }
  return map;
}
