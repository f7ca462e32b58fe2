/**
 * Loading a TypeScript/JavaScript workflow: `baton run flow.ts` and `baton validate
 * flow.ts`. The file is bundled (esbuild, no build step) with what it imports from the
 * project into one text, the run's code snapshot; resume and retry import that snapshot,
 * so editing the file does not change a run in flight. What the bundle holds and what it
 * leaves as imports: bundle-plugin.ts. Errors: load-errors.ts.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildFailure, Message } from 'esbuild';
import type { CodeSnapshot as StoredCodeSnapshot } from '../store/events.js';
import { workflowTextHash } from '../spec/text-hash.js';
import { codePlugin } from './bundle-plugin.js';
import { bundleFileName } from './code-frames.js';
import { WORKFLOW_BRAND } from './exports.js';
import { bundleError, CodeLoadError, displayPath, evalError } from './load-errors.js';
import { importModuleText } from './native-import.js';

export { CodeLoadError } from './load-errors.js';

/** A workflow's code as a run keeps it (RunCreated). */
export interface CodeSnapshot extends StoredCodeSnapshot {
  language: 'js';
  /** Absolute path of the entry file. */
  file: string;
  /** SHA-256 of the entry file's text, to tell a resume that the file changed. */
  sha256: string;
  bundle_sha256: string;
  /** The bundle: an ES module with an inline source map pointing at the files it came from. */
  text: string;
}

/** What `workflow()` returns; the SDK owns the rest of its shape. */
export interface WorkflowExport {
  readonly [WORKFLOW_BRAND]: true;
}

const CODE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);

/** Whether `file` is a workflow written as code (by its extension); the CLI dispatches on it. */
export function isCodeFile(file: string): boolean {
  return CODE_EXTENSIONS.has(extname(file).toLowerCase());
}

/** Bundles `file` with what it imports from the project. Throws CodeLoadError. */
export async function bundleCode(file: string): Promise<CodeSnapshot> {
  const entry = resolve(file);
  const text = readEntry(entry);
  const workDir = dirname(entry);
  const { build } = await import('esbuild');
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      absWorkingDir: workDir,
      // Not written; names where the source map's paths are relative to (the entry's folder).
      outfile: join(workDir, bundleFileName(entry)),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'external',
      sourcesContent: true,
      logLevel: 'silent',
      // An ES module has no `require`; CommonJS code in the bundle calls it for builtins and
      // packages (absolute paths, bundle-plugin.ts). esbuild renames a file's own `require`.
      banner: { js: `import { createRequire as __batonCreateRequire } from 'node:module'; const require = __batonCreateRequire(${JSON.stringify(entry)});` },
      plugins: [codePlugin({ file: entry, text })],
    });
  } catch (error) {
    const messages = (error as Partial<BuildFailure>).errors;
    if (!Array.isArray(messages) || messages.length === 0) throw error;
    throw bundleError(messages as Message[], workDir, error);
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.mjs'))!.text;
  const map = JSON.parse(result.outputFiles.find((f) => f.path.endsWith('.map'))!.text) as { sources: string[] };
  const bundle = `${js}//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(absoluteSources(map, workDir))).toString('base64')}\n`;
  return { language: 'js', file: entry, sha256: workflowTextHash(text), bundle_sha256: workflowTextHash(bundle), text: bundle };
}

/**
 * The bundle is imported from elsewhere (native-import.ts), so the map names its files
 * by absolute file: URLs; stack traces then show /abs/path/flow.ts:LINE.
 */
function absoluteSources<M extends { sources: string[] }>(map: M, workDir: string): M {
  // The SDK module's source is `baton-sdk:baton`, not a file.
  const sources = map.sources.map((s) => (/^[\w-]{2,}:/.test(s) ? s : pathToFileURL(resolve(workDir, s)).href));
  return { ...map, sources };
}

function readEntry(entry: string): string {
  try {
    return readFileSync(entry, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new CodeLoadError('CODE_NOT_FOUND', `${displayPath(entry)}: no such file (check the path; it is relative to ${process.cwd()})`, { cause: error, details: { file: displayPath(entry) } });
    }
    const why = code === 'EISDIR' ? 'it is a folder, not a file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CodeLoadError('CODE_READ', `${displayPath(entry)}: cannot read the file: ${why}`, { cause: error, details: { file: displayPath(entry) } });
  }
}

/** Imported snapshots by bundle hash: importing one twice in a process gives the same module, as Node does for a URL. */
const imported = new Map<string, Promise<Record<string, unknown>>>();

/**
 * Runs the snapshot's module (its top level) and returns its exports. The running baton
 * must have put its SDK object on globalThis[SDK_GLOBAL] first. Throws CODE_EVAL.
 */
export function importCode(snapshot: CodeSnapshot): Promise<Record<string, unknown>> {
  let loading = imported.get(snapshot.bundle_sha256);
  if (loading === undefined) {
    // Before the module compiles: Node reads a module's source map only if maps are on then.
    process.setSourceMapsEnabled(true);
    loading = importModuleText(snapshot.text, bundleFileName(snapshot.file)).catch((thrown: unknown) => {
      imported.delete(snapshot.bundle_sha256);
      throw evalError(thrown, snapshot);
    });
    imported.set(snapshot.bundle_sha256, loading);
  }
  return loading;
}

/** The workflow a snapshot's module exports by default. Throws CODE_EVAL or CODE_NO_WORKFLOW. */
export async function loadSnapshot(snapshot: CodeSnapshot): Promise<WorkflowExport> {
  const exports = await importCode(snapshot);
  const found = exports.default;
  if (isWorkflow(found)) return found;
  const what = !('default' in exports) ? 'it has no default export' : `its default export is ${describeValue(found)}`;
  const file = displayPath(snapshot.file);
  throw new CodeLoadError(
    'CODE_NO_WORKFLOW',
    `${file} has no default export made with workflow() from 'baton' (${what}): add \`export default workflow({...}, async (ctx) => ...)\``,
    { details: { file } },
  );
}

/** `baton run flow.ts`: bundle the file, run its top level, return its workflow and the snapshot to keep. */
export async function loadWorkflowCode(file: string): Promise<{ snapshot: CodeSnapshot; workflow: WorkflowExport }> {
  const snapshot = await bundleCode(file);
  return { snapshot, workflow: await loadSnapshot(snapshot) };
}

function isWorkflow(value: unknown): value is WorkflowExport {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && (value as Record<symbol, unknown>)[WORKFLOW_BRAND] === true;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function (call workflow() with it instead)';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object not made by workflow()';
  return `a ${typeof value}`;
}
