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
    const offset = mapChar(this.text, span, value, index);
    return offset === undefined ? loc : { offset, path: loc.path };
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

/** Source offset of character `index` of `value`, checked against the text; undefined if unsure. */
function mapChar(text: string, span: Span, value: string, index: number): number | undefined {
  if (index <= 0 || index >= value.length) return index <= 0 ? span.start + (span.style?.startsWith('QUOTE') ? 1 : 0) : undefined;
  const source = text.slice(span.start, span.end);
  let offset: number | undefined;
  switch (span.style) {
    case 'PLAIN':
      offset = source.includes('\n') ? undefined : index;
      break;
    case 'QUOTE_SINGLE':
      offset = source.includes('\n') ? undefined : mapQuoted(source, index, false);
      break;
    case 'QUOTE_DOUBLE':
      offset = source.includes('\n') ? undefined : mapQuoted(source, index, true);
      break;
    case 'BLOCK_LITERAL':
      offset = mapLiteral(source, value, index);
      break;
    default:
      offset = undefined;
  }
  if (offset === undefined) return undefined;
  const absolute = span.start + offset;
  const ch = text[absolute];
  return ch === value[index] || ch === '\\' || ch === "'" ? absolute : undefined;
}

/** Offset within a one-line quoted scalar's source of value character `index`. */
function mapQuoted(source: string, index: number, double: boolean): number | undefined {
  let at = 1;
  for (let i = 0; i < index; i++) {
    if (at >= source.length - 1) return undefined;
    if (double && source[at] === '\\') {
      const next = source[at + 1];
      at += next === 'x' ? 4 : next === 'u' ? 6 : next === 'U' ? 10 : 2;
    } else if (!double && source[at] === "'" && source[at + 1] === "'") at += 2;
    else at += 1;
  }
  return at;
}

/** Offset within a literal block scalar's source (`|` header line, then indented lines). */
function mapLiteral(source: string, value: string, index: number): number | undefined {
  const before = value.slice(0, index);
  const lineNo = before.split('\n').length - 1;
  const column = index - (before.lastIndexOf('\n') + 1);
  const lines = source.split('\n');
  const content = lines.slice(1);
  const firstText = content.find((l) => l.trim() !== '');
  if (firstText === undefined) return undefined;
  const indent = firstText.length - firstText.trimStart().length;
  if (lineNo >= content.length) return undefined;
  let offset = lines[0].length + 1;
  for (let i = 0; i < lineNo; i++) offset += content[i].length + 1;
  return offset + indent + column;
}
