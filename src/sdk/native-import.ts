/**
 * Importing a bundle as an ES module. Two facts of Node 20 shape this:
 *
 * - Stack traces are mapped back to the user's lines only for modules whose URL has a
 *   `scheme://` (Node's findSourceMap turns anything else into a path), so a bundle
 *   imported from a `data:` URL would show the bundle's lines, and the whole base64 URL
 *   in every frame. The bundle is written to a file of a private temporary folder
 *   (mkdtemp: 0700), imported from there, and the folder removed once it has loaded;
 *   the inline source map came with the text, so traces stay mapped after that.
 * - baton's own CLI bundle is CommonJS with `import()` lowered to `require()`
 *   (scripts/build.mjs), and `require()` cannot load an ES module that awaits at its top
 *   level. The `import()` that must stay real is compiled by V8 from a constant string,
 *   out of the bundler's sight; no user text ever reaches it. Such code can import only
 *   if the script it was created from may: code that runs in a vm script without an
 *   importModuleDynamically option (bin/baton.js on Node 20 runs the CLI bundle so, for
 *   its code cache; test runners run tests so) gets ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING.
 *   Then the import is compiled by node:vm to use Node's own loader, the same loader
 *   under a name Node 20 calls experimental; its warning (once per process) is kept off
 *   the user's terminal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileFunction, constants } from 'node:vm';

type Importer = (url: string) => Promise<Record<string, unknown>>;

// eslint-disable-next-line no-new-func -- a constant body: see above.
const plainImport = new Function('url', 'return import(url)') as Importer;
let vmImport: Importer | undefined;

async function realImport(url: string): Promise<Record<string, unknown>> {
  if (vmImport) return vmImport(url);
  try {
    return await plainImport(url);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw error;
    vmImport = compileFunction('return import(url)', ['url'], { importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER }) as Importer;
    return withoutWarning('USE_MAIN_CONTEXT_DEFAULT_LOADER', () => vmImport!(url));
  }
}

/** Runs `fn`, dropping the warnings Node emits during the call that mention `feature`. */
function withoutWarning<T>(feature: string, fn: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: never[]) => {
    if (!String(warning).includes(feature)) emitWarning.call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    // Node warns when import() starts, synchronously: the call below, not the promise's end.
    return fn();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** Imports `text` as an ES module named `name` (seen in frames the source map does not cover). */
export async function importModuleText(text: string, name: string): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-code-'));
  try {
    const file = join(dir, name);
    await writeFile(file, text, { mode: 0o600 });
    return await realImport(pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
