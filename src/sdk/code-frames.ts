/**
 * Where in the user's files an error happened, from its stack. Node maps the bundle's
 * frames to the user's lines itself when source maps are on (load.ts turns them on) and
 * nothing else formats stacks; where something does (a test runner's
 * Error.prepareStackTrace), frames name the bundle's temporary file, and the snapshot's
 * own source map is read here to find the user's line.
 */
import { SourceMap, type SourceMapPayload } from 'node:module';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CodePlace {
  /** Absolute path of the user's file. */
  file: string;
  /** 1-based. */
  line: number;
  col: number;
}

interface Snapshot {
  file: string;
  text: string;
}

const INLINE_MAP = /\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)\s*$/;
/** `    at fn (/abs/flow.ts:5:9)` or `    at /abs/flow.ts:5:9`, paths or file: URLs. */
const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/gm;

/** The first frame of `thrown`'s stack in one of the snapshot's bundled files, if any. */
export function placeInCode(thrown: unknown, snapshot: Snapshot): CodePlace | undefined {
  const stack = thrown instanceof Error && typeof thrown.stack === 'string' ? thrown.stack : '';
  if (stack === '') return undefined;
  const map = sourceMapOf(snapshot.text);
  if (!map) return undefined;
  const sources = new Set(map.payload.sources.filter((s) => s.startsWith('file:')).map((s) => fileURLToPath(s)));
  let sourceMap: SourceMap | undefined;
  for (const [, where, line, col] of stack.matchAll(FRAME)) {
    const file = where!.startsWith('file:') ? fileURLToPath(where!) : where!;
    if (sources.has(file)) return { file, line: Number(line), col: Number(col) };
    if (!isBundleFile(file, snapshot.file)) continue;
    sourceMap ??= new SourceMap(map.payload);
    const place = originalPlace(sourceMap, Number(line) - 1, Number(col) - 1);
    if (place) return place;
  }
  return undefined;
}

/**
 * Where the user's code imports `url` (a package the bundle imports by absolute URL): the
 * bundle's import line, mapped back. For Node's link errors (a named export a CommonJS
 * package does not have), which have no stack in the user's code.
 */
export function placeOfImport(url: string, snapshot: Snapshot): CodePlace | undefined {
  const map = sourceMapOf(snapshot.text);
  if (!map) return undefined;
  const lines = snapshot.text.split('\n');
  const line = lines.findIndex((text) => /^import\b/.test(text) && text.includes(JSON.stringify(url)));
  if (line < 0) return undefined;
  return originalPlace(new SourceMap(map.payload), line, 0);
}

function originalPlace(sourceMap: SourceMap, line: number, col: number): CodePlace | undefined {
  const entry = sourceMap.findEntry(line, col) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
  if (!entry.originalSource?.startsWith('file:') || entry.originalLine === undefined) return undefined;
  return { file: fileURLToPath(entry.originalSource), line: entry.originalLine + 1, col: (entry.originalColumn ?? 0) + 1 };
}

/** The name the bundle of `entry` has in stack traces (native-import.ts writes it under a `baton-code-*` folder). */
export function bundleFileName(entry: string): string {
  return `${basename(entry)}.bundle.mjs`;
}

function isBundleFile(file: string, entry: string): boolean {
  return basename(file) === bundleFileName(entry) && basename(dirname(file)).startsWith('baton-code-');
}

function sourceMapOf(bundle: string): { payload: SourceMapPayload } | undefined {
  const comment = INLINE_MAP.exec(bundle);
  if (!comment) return undefined;
  try {
    return { payload: JSON.parse(Buffer.from(comment[1]!, 'base64').toString('utf8')) as SourceMapPayload };
  } catch {
    return undefined;
  }
}
