/**
 * The errors of loading a workflow's code (load.ts), each saying where and what to do:
 * CODE_SYNTAX and CODE_IMPORT come from esbuild's messages (file:line:col, the line with
 * a caret), CODE_EVAL from what the module threw while it loaded (the user's file:line
 * from its stack), CODE_NO_WORKFLOW from what it exports. A message never holds the
 * bundle: only the user's own lines.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Message } from 'esbuild';
import { BatonError } from '../observability/errors.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { PLUGIN_NAME, type ImportProblem } from './bundle-plugin.js';
import { placeInCode, placeOfImport } from './code-frames.js';
import { SDK_EXPORTS } from './exports.js';

export type CodeLoadCode = 'CODE_NOT_FOUND' | 'CODE_READ' | 'CODE_SYNTAX' | 'CODE_IMPORT' | 'CODE_EVAL' | 'CODE_NO_WORKFLOW' | 'CODE_NO_INTERPRETER';

export class CodeLoadError extends BatonError {
  declare readonly code: CodeLoadCode;

  constructor(code: CodeLoadCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options);
  }
}

/** How many of esbuild's errors a message lists; `details.diagnostics` has them all. */
const MAX_LISTED = 5;
/** Longest excerpt of a line shown under an error (minified code has very long lines). */
const MAX_EXCERPT = 100;

/** The path as a user would type it: relative to the working folder when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** CODE_SYNTAX (or CODE_IMPORT when every error is an import that did not resolve) from esbuild's errors. */
export function bundleError(messages: readonly Message[], workDir: string, cause: unknown): CodeLoadError {
  const diagnostics = messages.map((m) => toDiagnostic(m, workDir));
  const onlyImports = diagnostics.every((d) => d.code === 'CODE_IMPORT');
  const listed = messages.slice(0, MAX_LISTED).map((m, i) => describe(m, diagnostics[i]!));
  if (messages.length > MAX_LISTED) listed.push(`... and ${messages.length - MAX_LISTED} more`);
  const first = diagnostics[0];
  return new CodeLoadError(onlyImports ? 'CODE_IMPORT' : 'CODE_SYNTAX', listed.join('\n'), {
    cause,
    details: { file: first?.file, line: first?.line, col: first?.col, diagnostics },
  });
}

function toDiagnostic(m: Message, workDir: string): Diagnostic {
  const loc = m.location;
  const file = loc ? displayPath(resolve(workDir, loc.file)) : '';
  const line = loc?.line ?? 0;
  const col = loc ? charColumn(loc.lineText, loc.column) + 1 : 0;
  const problem = importProblem(m);
  if (problem) return { severity: 'error', code: 'CODE_IMPORT', message: `cannot import "${problem.specifier}"`, hint: importHint(problem, loc?.file ? resolve(workDir, loc.file) : workDir), file, line, col };
  const fromBaton = /^No matching export in "baton-sdk:[^"]*" for import "([^"]*)"/.exec(m.text);
  if (fromBaton) return { severity: 'error', code: 'CODE_IMPORT', message: `'baton' has no export "${fromBaton[1]}"`, hint: `it exports ${SDK_EXPORTS.join(', ')}, and the whole SDK as its default`, file, line, col };
  if (isImportMessage(m.text)) return { severity: 'error', code: 'CODE_IMPORT', message: m.text, hint: noteText(m), file, line, col };
  return { severity: 'error', code: 'CODE_SYNTAX', message: m.text, hint: noteText(m), file, line, col };
}

function importProblem(m: Message): ImportProblem | undefined {
  if (m.pluginName === PLUGIN_NAME && m.detail && typeof m.detail === 'object' && 'specifier' in m.detail) return m.detail as ImportProblem;
  const relativePath = /^Could not resolve "(\.{0,2}\/[^"]*)"/.exec(m.text);
  return relativePath ? { specifier: relativePath[1]! } : undefined;
}

/** esbuild's texts for an import that names nothing usable (its own, for a relative path or a missing export). */
function isImportMessage(text: string): boolean {
  return /^(Could not resolve|No matching export|No loader is configured)/.test(text);
}

function importHint(problem: ImportProblem, importer: string): string {
  if (problem.pkg === undefined) return `no such file: check the path (relative to ${displayPath(resolve(importer, '..'))}; .ts, .js and .json files can be imported without their extension)`;
  return `the package ${problem.pkg} is not installed where the file is: run \`npm install ${problem.pkg}\` in the project, or fix the name`;
}

function noteText(m: Message): string | undefined {
  const notes = m.notes.map((n) => n.text).filter((t) => t !== '');
  return notes.length > 0 ? notes.join('; ') : undefined;
}

/** `flow.ts:3:14: Expected ";" but found "x"`, the line, and a caret under the column. */
function describe(m: Message, d: Diagnostic): string {
  const head = d.file === '' ? d.message : `${d.file}:${d.line}:${d.col}: ${d.message}`;
  const lines = [d.hint === undefined ? head : `${head} (${d.hint})`];
  if (m.location && m.location.lineText !== '') lines.push(...caretExcerpt(m.location.lineText, d.col - 1, d.line));
  return lines.join('\n');
}

function caretExcerpt(lineText: string, col: number, line: number): string[] {
  const start = Math.max(0, Math.min(col - MAX_EXCERPT / 2, lineText.length - MAX_EXCERPT));
  const shown = lineText.slice(start, start + MAX_EXCERPT);
  const gutter = `  ${line} | `;
  // Tabs stay tabs under the line so the caret lines up in any terminal.
  const pad = shown.slice(0, col - start).replace(/[^\t]/g, ' ');
  return [`${gutter}${shown}`, `${' '.repeat(gutter.length - 2)}| ${pad}^`];
}

/** esbuild counts columns in UTF-8 bytes; editors count characters. */
function charColumn(lineText: string, byteColumn: number): number {
  return Buffer.from(lineText, 'utf8').subarray(0, byteColumn).toString('utf8').length;
}

/**
 * CODE_EVAL: the module threw while it loaded (its top level ran); where, from its stack
 * (code-frames.ts).
 */
export function evalError(thrown: unknown, snapshot: { file: string; text: string }): CodeLoadError {
  const missing = thrown instanceof SyntaxError ? missingExportOf(thrown.message) : undefined;
  if (missing) return missingExport(missing.url, missing.name, thrown, snapshot);
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const at = placeInCode(thrown, snapshot);
  const file = displayPath(at?.file ?? snapshot.file);
  const where = at ? `${file}:${at.line}` : file;
  return new CodeLoadError('CODE_EVAL', `${where}: the file threw while loading: ${message} (fix the code at the top level of the file, outside the workflow's function)`, {
    cause: thrown,
    details: at ? { file, line: at.line, col: at.col } : { file },
  });
}

/** Node's two wordings (the second when it knows the package is CommonJS). */
function missingExportOf(message: string): { url: string; name: string } | undefined {
  const plain = /The requested module '([^']+)' does not provide an export named '([^']+)'/.exec(message);
  if (plain) return { url: plain[1]!, name: plain[2]! };
  const commonJs = /Named export '([^']+)' not found\. The requested module '([^']+)' is a CommonJS module/.exec(message);
  return commonJs ? { url: commonJs[2]!, name: commonJs[1]! } : undefined;
}

/**
 * Node links the bundle to a package it imports by URL; a CommonJS package whose exports
 * Node cannot see statically has no named exports then (a bundler would have let it pass).
 */
function missingExport(url: string, name: string, thrown: unknown, snapshot: { file: string; text: string }): CodeLoadError {
  const at = placeOfImport(url, snapshot);
  const file = displayPath(at?.file ?? snapshot.file);
  const where = at ? `${file}:${at.line}:${at.col}` : file;
  const module = url.startsWith('file:') ? displayPath(fileURLToPath(url)) : url;
  return new CodeLoadError(
    'CODE_IMPORT',
    `${where}: ${module} has no export named "${name}" (if it is a CommonJS package, import it whole and read the field: \`import pkg from '...'\` then \`pkg.${name}\`)`,
    { cause: thrown, details: at ? { file, line: at.line, col: at.col } : { file } },
  );
}
