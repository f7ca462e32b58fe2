/**
 * Text -> raw values with positions. YAML (which also reads JSON) via eemeli/yaml's
 * document API; `.json` files are first checked by JSON.parse so JSON-only mistakes
 * (trailing commas, bare words) are caught, with a precise position from json-syntax.ts,
 * as are YAML errors in any text that starts like JSON.
 * Nesting deeper than MAX_YAML_DEPTH and alias bombs are refused, never recursed into.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Alias, Document, Node as YamlNode } from 'yaml';
import { jsonSyntaxError } from './json-syntax.js';
import { yamlHint } from './yaml-hints.js';
import { SourceIndex, defineOwn, formatPath } from './positions.js';
import type { Key, Span } from './positions.js';

/** Deepest nesting of mappings/lists accepted (a 32-deep composite needs about 70). */
export const MAX_YAML_DEPTH = 128;
/** Most values a file may expand to (aliases count each time they are used). */
export const MAX_VALUES = 3_000_000;
/** Most values aliases may add, all uses together: far more than sharing a retry policy or an env map needs. */
export const MAX_ALIAS_VALUES = 250_000;

export interface SourceProblem {
  code: string;
  message: string;
  offset: number;
  hint?: string;
}

export interface ParsedSource {
  index: SourceIndex;
  /** Undefined when the file is empty or could not be parsed. */
  raw?: unknown;
  /** Syntax errors: when any is present, `raw` is not to be used. */
  errors: SourceProblem[];
  /** Non-fatal: too-deep parts (replaced by null), YAML warnings. */
  problems: SourceProblem[];
  warnings: SourceProblem[];
}

export function parseSource(text: string, file: string): ParsedSource {
  const index = new SourceIndex(text);
  const result: ParsedSource = { index, errors: [], problems: [], warnings: [] };
  if (/\.json$/i.test(file)) {
    const jsonError = jsonSyntaxError(text);
    if (jsonError !== undefined) {
      result.errors.push({ code: 'SPEC_JSON_SYNTAX', message: jsonError.message, offset: jsonError.offset });
      return result;
    }
  }
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: true });
  } catch (error) {
    result.errors.push(tooDeepOr(error, 0));
    return result;
  }
  if (doc.errors.length > 0 && /^\s*[{[]/.test(text)) {
    // JSON given under another name (stdin, .yml): JSON's own message is the clearer one.
    const jsonError = jsonSyntaxError(text);
    if (jsonError !== undefined) {
      result.errors.push({ code: 'SPEC_JSON_SYNTAX', message: jsonError.message, offset: jsonError.offset });
      return result;
    }
  }
  for (const e of doc.errors) {
    result.errors.push(yamlError(e.code, e.message, e.pos[0], text));
  }
  for (const w of doc.warnings) result.warnings.push({ code: 'SPEC_YAML_WARNING', message: w.message, offset: w.pos[0] });
  if (result.errors.length > 0 || doc.contents === null) return result;
  const converter = new Converter(index, result);
  try {
    result.raw = converter.convert(doc.contents, '', 0);
  } catch (error) {
    if (!(error instanceof TooManyValues)) throw error;
    result.errors.push({
      code: 'SPEC_FILE_TOO_LARGE',
      message: error.by === 'alias' ? `the YAML aliases (*name) in this file expand to more than ${MAX_ALIAS_VALUES} values` : `the file expands to more than ${MAX_VALUES} values`,
      offset: error.offset,
      hint: 'a YAML alias (*name) used many times repeats its whole anchor each time; write the values out or shrink them',
    });
  }
  return result;
}

class TooManyValues extends Error {
  constructor(
    readonly offset: number,
    readonly by: 'alias' | 'values' = 'values',
  ) {
    super('too many values');
  }
}

function yamlError(code: string, message: string, offset: number, text: string): SourceProblem {
  if (/call stack/i.test(message)) return tooDeep(offset);
  const quote = /^Missing closing (["'])quote/.exec(message)?.[1];
  if (code === 'MISSING_CHAR' && quote !== undefined) {
    // Everything after an unclosed quote is inside the string, so its opening quote is the last one.
    const opening = text.lastIndexOf(quote, offset - 1);
    if (opening !== -1) return { code: 'SPEC_YAML_SYNTAX', message: `this ${quote === '"' ? 'double' : 'single'}-quoted string is never closed`, offset: opening };
  }
  if (code === 'DUPLICATE_KEY') return { code: 'SPEC_DUPLICATE_KEY', message: 'duplicate key: each key may appear once in a mapping', offset };
  const hinted = yamlHint(code, offset, text);
  if (hinted !== undefined) return { code: 'SPEC_YAML_SYNTAX', ...hinted };
  return { code: 'SPEC_YAML_SYNTAX', message: message.replace(/\s+at line \d+, column \d+[\s\S]*$/, ''), offset };
}

function tooDeep(offset: number): SourceProblem {
  return {
    code: 'SPEC_TOO_DEEP',
    message: `the file is nested too deeply (more than ${MAX_YAML_DEPTH} levels)`,
    offset,
    hint: 'flatten it: use depends_on between top-level tasks instead of nesting',
  };
}

function tooDeepOr(error: unknown, offset: number): SourceProblem {
  if (error instanceof RangeError) return tooDeep(offset);
  return { code: 'SPEC_YAML_SYNTAX', message: error instanceof Error ? error.message : String(error), offset };
}

class Converter {
  private values = 0;
  /** Values that aliases added (each use counts its anchor's whole size). */
  private aliased = 0;
  /** Anchored nodes already converted, with how many values they hold (for alias counting). */
  private readonly anchors = new Map<YamlNode, { value: unknown; size: number }>();
  /** Anchor name -> the last node seen so far with it. */
  private readonly named = new Map<string, YamlNode>();

  constructor(
    private readonly index: SourceIndex,
    private readonly result: ParsedSource,
  ) {}

  convert(node: YamlNode | null, path: string, depth: number): unknown {
    if (node === null) return null;
    if (isAlias(node)) return this.alias(node);
    const before = this.values;
    this.count(1, node.range?.[0] ?? 0);
    if (node.anchor !== undefined) this.named.set(node.anchor, node);
    let value: unknown;
    if (isScalar(node)) value = node.value;
    else if (depth >= MAX_YAML_DEPTH) {
      this.result.problems.push(tooDeep(node.range?.[0] ?? 0));
      value = null;
    } else if (isMap(node)) value = this.convertMap(node.items, path, depth, node.range);
    else if (isSeq(node)) value = this.convertSeq(node.items as (YamlNode | null)[], path, depth, node.range);
    else value = null;
    if (node.anchor !== undefined) this.anchors.set(node, { value, size: this.values - before });
    return value;
  }

  /**
   * The value of the last node anchored with this name before the alias (YAML's rule).
   * Looked up in `named`, filled as the walk goes in document order: the library's own
   * `Alias.resolve` walks the whole document for every alias, which made a file with
   * thousands of aliases take quadratic time.
   */
  private alias(node: Alias): unknown {
    const offset = node.range?.[0] ?? 0;
    const target = this.named.get(node.source);
    const seen = target === undefined ? undefined : this.anchors.get(target);
    if (seen === undefined) {
      // No such anchor before the alias, or the alias sits inside its own anchor.
      const message = target === undefined ? `the alias *${node.source} refers to no anchor &${node.source} before it` : `the alias *${node.source} is inside the value it refers to`;
      this.result.problems.push({ code: 'SPEC_YAML_ALIAS', message, offset, hint: 'an alias repeats a value anchored earlier in the file with &name' });
      return null;
    }
    this.aliased += seen.size;
    if (this.aliased > MAX_ALIAS_VALUES) throw new TooManyValues(offset, 'alias');
    this.count(seen.size, offset);
    return seen.value;
  }

  private convertMap(items: unknown[], path: string, depth: number, range: YamlNode['range']): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.index.register(out, this.span(range, path));
    for (const item of items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as YamlNode | null;
      let key: string;
      if (keyNode === null) key = '';
      else if (isScalar(keyNode)) {
        key = keyNode.value === null ? '' : String(keyNode.value);
        if (keyNode.anchor !== undefined) {
          this.named.set(keyNode.anchor, keyNode);
          this.anchors.set(keyNode, { value: keyNode.value, size: 1 });
        }
      }
      else {
        this.result.problems.push({ code: 'SPEC_TYPE', message: 'a key must be a plain string, not a mapping or list', offset: keyNode.range?.[0] ?? 0 });
        continue;
      }
      const childPath = formatPath(path, key);
      const valueNode = item.value as YamlNode | null;
      const keySpan = keyNode === null ? undefined : this.span(keyNode.range, childPath);
      const value = this.convert(valueNode, childPath, depth + 1);
      defineOwn(out, key, value);
      const valueSpan = valueNode === null ? keySpan ?? this.span(range, childPath) : this.span(valueNode.range, childPath, valueNode);
      this.index.setChild(out, key, keySpan, valueSpan);
    }
    return out;
  }

  private convertSeq(items: (YamlNode | null)[], path: string, depth: number, range: YamlNode['range']): unknown[] {
    const out: unknown[] = [];
    this.index.register(out, this.span(range, path));
    items.forEach((item, i) => {
      const childPath = formatPath(path, i);
      out.push(this.convert(item, childPath, depth + 1));
      this.index.setChild(out, i as Key, undefined, item === null ? this.span(range, childPath) : this.span(item.range, childPath, item));
    });
    return out;
  }

  private span(range: YamlNode['range'] | undefined | null, path: string, node?: YamlNode): Span {
    const span: Span = { start: range?.[0] ?? 0, end: range?.[1] ?? 0, path };
    if (node !== undefined && isScalar(node) && typeof node.value === 'string' && node.type !== undefined) span.style = node.type;
    return span;
  }

  private count(n: number, offset: number): void {
    this.values += n;
    if (this.values > MAX_VALUES) {
      throw new TooManyValues(offset);
    }
  }
}
