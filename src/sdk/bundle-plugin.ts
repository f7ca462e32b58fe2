/**
 * The esbuild plugin that decides what a workflow's bundle holds (load.ts bundles it):
 *
 * - 'baton' and 'baton/...' become a small module reading the running baton's SDK object
 *   from a global (exports.ts), so the file needs no local install of baton;
 * - node builtins stay imports;
 * - any other bare import (an npm package of the project) is resolved now, from the
 *   importing file's folder, and stays an import of that absolute file, so the bundle
 *   runs from wherever it is imported (a temporary file, another process, another cwd);
 * - the project's own files are bundled in, with `import.meta.url`, `.dirname` and
 *   `.filename` replaced by the file's own, as the file would see them if run in place;
 * - the entry file is bundled from the text the caller read (and hashed), not read again.
 */
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Loader, OnResolveArgs, Plugin, PluginBuild } from 'esbuild';
import { SDK_EXPORTS } from './exports.js';

export const PLUGIN_NAME = 'baton-code';

/** Set on the import errors this plugin reports, so load-errors.ts knows them from syntax errors. */
export interface ImportProblem {
  specifier: string;
  /** A package name to `npm install`, when the import named one. */
  pkg?: string;
}

const SDK_NAMESPACE = 'baton-sdk';
/** Marks the resolves this plugin asks of esbuild, so its own onResolve lets them through. */
const RESOLVING = Symbol('baton-resolving');

const LOADERS: Readonly<Record<string, Loader>> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
};

export function codePlugin(entry: { file: string; text: string }): Plugin {
  return {
    name: PLUGIN_NAME,
    setup(build) {
      build.onResolve({ filter: /^baton(\/|$)/ }, (args) => ({ path: args.path, namespace: SDK_NAMESPACE }));
      build.onLoad({ filter: /.*/, namespace: SDK_NAMESPACE }, () => ({ contents: sdkModule(), loader: 'js' }));
      build.onResolve({ filter: /^[^./]/ }, (args) => resolveBare(build, args));
      build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
        const text = args.path === entry.file ? entry.text : await readFile(args.path, 'utf8');
        if (args.path !== entry.file && !text.includes('import.meta')) return undefined;
        return { contents: withOwnImportMeta(text, args.path), loader: LOADERS[extname(args.path)] ?? 'js' };
      });
    },
  };
}

/** The module 'baton' stands for inside a workflow file. */
function sdkModule(): string {
  const names = SDK_EXPORTS.map((name) => `export const ${name} = api.${name};`);
  return [
    "const api = globalThis[Symbol.for('baton.sdk')];",
    "if (!api) throw new Error('this file is a baton workflow: run it with `baton run <file>`');",
    ...names,
    'export default api;',
  ].join('\n');
}

async function resolveBare(build: PluginBuild, args: OnResolveArgs) {
  if (args.pluginData === RESOLVING || args.namespace !== 'file') return undefined;
  // A Windows drive path (C:\...) is a path, not a package.
  if (/^[A-Za-z]:[\\/]/.test(args.path)) return undefined;
  if (isBuiltin(args.path)) return { path: args.path, external: true };
  const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
  if (found.errors.length > 0 || found.external || !found.path) {
    const problem: ImportProblem = { specifier: args.path, pkg: packageName(args.path) };
    return { errors: [{ text: `Could not resolve "${args.path}"`, detail: problem }] };
  }
  // import() and import statements need a URL for an absolute file; require() a path.
  const isRequire = args.kind === 'require-call' || args.kind === 'require-resolve';
  return { path: isRequire ? found.path : pathToFileURL(found.path).href, external: true };
}

/** `@scope/name/sub` -> `@scope/name`; `name/sub` -> `name`. */
export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * In the bundle, `import.meta` is the bundle's own (a temporary file); a file that finds
 * its neighbours with `new URL('./hosts.txt', import.meta.url)` or `import.meta.dirname`
 * must get its own place instead. Only these three fields are replaced; the text keeps
 * its line count so positions in errors and stack traces keep their lines.
 */
function withOwnImportMeta(text: string, file: string): string {
  if (!text.includes('import.meta')) return text;
  const values: Record<string, string> = { url: pathToFileURL(file).href, dirname: dirname(file), filename: file };
  return text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, field: string) => JSON.stringify(values[field]));
}
