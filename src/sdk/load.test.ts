import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_GLOBAL, WORKFLOW_BRAND } from './exports.js';
import { bundleCode, CodeLoadError, importCode, isCodeFile, loadSnapshot, loadWorkflowCode } from './load.js';

/**
 * Every test writes real files into a scratch folder with no node_modules of its own
 * (as an agent would), except the one package a test installs there on purpose.
 */
let scratch: string;
let count = 0;

/** A fresh folder holding `files` (path -> text); returns its path. */
function project(files: Record<string, string>): string {
  const dir = join(scratch, `p${++count}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** The SDK object the running baton installs; the tests' own, until the real one is wired. */
const fakeSdk = { workflow: (meta: unknown, fn: unknown) => ({ [WORKFLOW_BRAND]: true, meta, fn }) };

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'baton-load-test-'));
  (globalThis as Record<symbol, unknown>)[SDK_GLOBAL] = fakeSdk;
});
afterAll(() => {
  delete (globalThis as Record<symbol, unknown>)[SDK_GLOBAL];
  rmSync(scratch, { recursive: true, force: true });
});

async function loadError(file: string): Promise<CodeLoadError> {
  const error = await loadWorkflowCode(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CodeLoadError);
  return error as CodeLoadError;
}

const FLOW = `import { workflow } from 'baton';
import { hosts } from './lib/inventory';
import settings from './settings.json';

interface Env { name: string; replicas: number }
const env: Env = { name: settings.env, replicas: await Promise.resolve(3) };

export default workflow({ name: 'rotate-' + env.name, hosts: hosts(env.replicas) }, async () => 'done');
`;

describe('bundleCode and loadWorkflowCode', () => {
  it('bundles a TypeScript file with its own imports and gives its workflow, with baton from the running process', async () => {
    const dir = project({
      'flow.ts': FLOW,
      'lib/inventory.ts': 'export const hosts = (n: number): string[] => Array.from({ length: n }, (_, i) => `web${i + 1}`);\n',
      'settings.json': '{ "env": "qa" }\n',
    });
    const { snapshot, workflow } = await loadWorkflowCode(join(dir, 'flow.ts'));
    expect(workflow).toMatchObject({ [WORKFLOW_BRAND]: true, meta: { name: 'rotate-qa', hosts: ['web1', 'web2', 'web3'] } });
    expect(snapshot).toMatchObject({ language: 'js', file: join(dir, 'flow.ts') });
    expect(snapshot.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshot.bundle_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(snapshot.sha256).not.toBe(snapshot.bundle_sha256);
    // The helper and the JSON are in the bundle; nothing imports them from the folder.
    expect(snapshot.text).toContain('web${i + 1}');
    expect(snapshot.text).not.toMatch(/from ["']\.\/lib/);
  });

  it("resolves 'baton/...' to the running baton too, and says which names 'baton' has", async () => {
    const sub = project({ 'flow.mts': "import { workflow } from 'baton/sdk';\nexport default workflow({ name: 'sub' }, async () => 1);\n" });
    expect((await loadWorkflowCode(join(sub, 'flow.mts'))).workflow).toMatchObject({ meta: { name: 'sub' } });

    const wrong = project({ 'flow.ts': "import { workflow, flow } from 'baton';\nexport default workflow({ name: String(flow) }, async () => 1);\n" });
    const error = await loadError(join(wrong, 'flow.ts'));
    expect(error.code).toBe('CODE_IMPORT');
    expect(error.message).toContain(`:1:20: 'baton' has no export "flow"`);
    expect(error.message).toContain('it exports workflow');
  });

  it("gives each bundled file its own import.meta, not the bundle's", async () => {
    const dir = project({
      'flow.js': "import { workflow } from 'baton';\nimport { where } from './lib/where.js';\nexport default workflow({ name: 'w', here: import.meta.dirname, there: where }, async () => 1);\n",
      'lib/where.js': 'export const where = { url: import.meta.url, file: import.meta.filename };\n',
    });
    const { workflow } = await loadWorkflowCode(join(dir, 'flow.js'));
    expect(workflow).toMatchObject({
      meta: { here: dir, there: { url: pathToFileURL(join(dir, 'lib/where.js')).href, file: join(dir, 'lib/where.js') } },
    });
  });

  it('runs what was bundled, whatever the files say later', async () => {
    const dir = project({
      'flow.ts': "import { workflow } from 'baton';\nimport { n } from './n';\nexport default workflow({ name: 'v1', n }, async () => 1);\n",
      'n.ts': 'export const n = 1;\n',
    });
    const before = await bundleCode(join(dir, 'flow.ts'));
    writeFileSync(join(dir, 'flow.ts'), "import { workflow } from 'baton';\nimport { n } from './n';\nexport default workflow({ name: 'v2', n }, async () => 1);\n");
    writeFileSync(join(dir, 'n.ts'), 'export const n = 2;\n');

    expect(await loadSnapshot(before)).toMatchObject({ meta: { name: 'v1', n: 1 } });
    const after = await bundleCode(join(dir, 'flow.ts'));
    expect(after.sha256).not.toBe(before.sha256);
    expect(after.bundle_sha256).not.toBe(before.bundle_sha256);
    expect(await loadSnapshot(after)).toMatchObject({ meta: { name: 'v2', n: 2 } });
  });

  it('imports one snapshot once per process, and leaves no temporary file behind', async () => {
    const dir = project({ 'flow.ts': "import { workflow } from 'baton';\nexport const made = {};\nexport default workflow({ name: 'once' }, async () => 1);\n" });
    const own = join(scratch, 'own-tmp');
    mkdirSync(own);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      const snapshot = await bundleCode(join(dir, 'flow.ts'));
      const first = await importCode(snapshot);
      expect(await importCode({ ...snapshot })).toBe(first);
      expect(readdirSync(own)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });
});

describe('npm packages of the project', () => {
  it('imports them from where they were resolved: the snapshot runs in another process, from another folder', async () => {
    const dir = project({
      'node_modules/greeter/package.json': '{ "name": "greeter", "version": "1.0.0", "main": "index.js" }\n',
      'node_modules/greeter/index.js': "exports.greet = (who) => 'hello ' + who;\n",
      'flow.ts': [
        "import { workflow } from 'baton';",
        "import { greet } from 'greeter';",
        '',
        "export function fail(): never {",
        "  throw new Error('failed on purpose');",
        '}',
        "export default workflow({ name: greet('qa') }, async () => 1);",
        '',
      ].join('\n'),
    });
    const snapshot = await bundleCode(join(dir, 'flow.ts'));
    expect(snapshot.text).toContain(`from "${pathToFileURL(join(dir, 'node_modules/greeter/index.js')).href}"`);

    // A plain Node (tsx for load.ts itself), elsewhere: the package is found by its
    // absolute URL, and an error's stack points at flow.ts, not at the bundle.
    const elsewhere = project({ 'snapshot.json': JSON.stringify(snapshot), 'child.mjs': childScript() });
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', tsx, 'child.mjs'], { cwd: elsewhere });
    expect(stderr).toBe('');
    const seen = JSON.parse(stdout) as { name: string; stack: string };
    expect(seen.name).toBe('hello qa');
    expect(seen.stack).toContain(`${join(dir, 'flow.ts')}:5:9`);
    expect(seen.stack).not.toContain('data:');
  });

  it('reports a package that is not installed with where it is imported and what to do', async () => {
    const dir = project({ 'flow.ts': "import { workflow } from 'baton';\nimport { parse } from '@acme/parser/strict';\nexport default workflow({ name: parse() }, async () => 1);\n" });
    const error = await loadError(join(dir, 'flow.ts'));
    expect(error.code).toBe('CODE_IMPORT');
    expect(error.message).toContain(`flow.ts:2:23: cannot import "@acme/parser/strict"`);
    expect(error.message).toContain('`npm install @acme/parser` in the project');
    expect(error.details).toMatchObject({ line: 2, col: 23 });
  });

  it('lets CommonJS code require builtins and packages', async () => {
    const dir = project({
      'node_modules/counter/package.json': '{ "name": "counter", "version": "1.0.0" }\n',
      'node_modules/counter/index.js': 'let n = 0;\nmodule.exports = () => ++n;\n',
      'flow.cjs': "const { workflow } = require('baton');\nconst { basename } = require('node:path');\nconst next = require('counter');\nmodule.exports = workflow({ name: basename('/x/cjs'), n: next() }, async () => 1);\n",
    });
    expect((await loadWorkflowCode(join(dir, 'flow.cjs'))).workflow).toMatchObject({ meta: { name: 'cjs', n: 1 } });
  });

  it('says a CommonJS package lacks a named export where the code imports it', async () => {
    const dir = project({
      'node_modules/legacy/package.json': '{ "name": "legacy", "version": "1.0.0" }\n',
      'node_modules/legacy/index.js': 'module.exports = makeApi();\nfunction makeApi() { return { run: () => 1 }; }\n',
      'flow.ts': "import { workflow } from 'baton';\n\nimport { run } from 'legacy';\nexport default workflow({ name: String(run()) }, async () => 1);\n",
    });
    const error = await loadError(join(dir, 'flow.ts'));
    expect(error.code).toBe('CODE_IMPORT');
    expect(error.message).toMatch(/flow\.ts:3:1: .*legacy\/index\.js has no export named "run" \(if it is a CommonJS package, import it whole/);
  });

  it('reports a relative import that names no file', async () => {
    const dir = project({ 'flow.ts': "import { workflow } from 'baton';\nimport { x } from './helpr';\nexport default workflow({ name: x }, async () => 1);\n" });
    const error = await loadError(join(dir, 'flow.ts'));
    expect(error.code).toBe('CODE_IMPORT');
    expect(error.message).toContain('flow.ts:2:19: cannot import "./helpr" (no such file: check the path');
  });
});

describe('errors in the code', () => {
  it('gives a syntax error file:line:col, the line and a caret under the column (in characters)', async () => {
    const dir = project({ 'flow.ts': "import { workflow } from 'baton';\nconst café = 'é' + ;\nexport default workflow({ name: café }, async () => 1);\n" });
    const error = await loadError(join(dir, 'flow.ts'));
    expect(error.code).toBe('CODE_SYNTAX');
    const lines = error.message.split('\n');
    expect(lines[0]).toMatch(/flow\.ts:2:20: Unexpected ";"$/);
    expect(lines[1]).toBe("  2 | const café = 'é' + ;");
    expect(lines[2]).toBe('    |                    ^');
    expect(error.details).toMatchObject({ line: 2, col: 20 });
  });

  it('lists at most five syntax errors, and counts the rest', async () => {
    const files: Record<string, string> = {};
    const imports = [];
    for (let i = 1; i <= 7; i++) {
      files[`part${i}.ts`] = `export const p${i} = (;\n`;
      imports.push(`import { p${i} } from './part${i}';`);
    }
    files['flow.ts'] = `${imports.join('\n')}\nexport default [p1, p2, p3, p4, p5, p6, p7];\n`;
    const error = await loadError(join(project(files), 'flow.ts'));
    expect(error.code).toBe('CODE_SYNTAX');
    expect(error.message.match(/part\d\.ts:1:\d+: /g)).toHaveLength(5);
    expect(error.message).toMatch(/\.\.\. and 2 more$/);
    expect(error.details?.diagnostics).toHaveLength(7);
  });

  it('names the line of the file that threw while loading', async () => {
    const dir = project({
      'flow.ts': "import { workflow } from 'baton';\nimport { check } from './check';\n\ncheck(process.env.NO_SUCH_VARIABLE_HERE);\nexport default workflow({ name: 'x' }, async () => 1);\n",
      'check.ts': "export function check(value?: string): void {\n  if (!value) throw new Error('NO_SUCH_VARIABLE_HERE is not set');\n}\n",
    });
    const error = await loadError(join(dir, 'flow.ts'));
    expect(error.code).toBe('CODE_EVAL');
    expect(error.message).toMatch(/check\.ts:2: the file threw while loading: NO_SUCH_VARIABLE_HERE is not set/);
    expect(error.details).toMatchObject({ line: 2, col: 21 });
    expect(error.message).not.toContain('baton-code-');
  });

  it('says a file without a workflow() default export needs one', async () => {
    const none = project({ 'flow.ts': "export const name = 'x';\n" });
    const noneError = await loadError(join(none, 'flow.ts'));
    expect(noneError.code).toBe('CODE_NO_WORKFLOW');
    expect(noneError.message).toContain("has no default export made with workflow() from 'baton' (it has no default export): add `export default workflow({...}, async (ctx) => ...)`");

    const plain = project({ 'flow.js': 'export default async function main() {}\n' });
    expect((await loadError(join(plain, 'flow.js'))).message).toContain('(its default export is a function (call workflow() with it instead))');
  });

  it('says when there is no such file', async () => {
    const error = await loadError(join(scratch, 'missing.ts'));
    expect(error.code).toBe('CODE_NOT_FOUND');
    expect(error.message).toContain('missing.ts: no such file');
  });
});

describe('isCodeFile', () => {
  it('knows TypeScript and JavaScript files by their extension', () => {
    for (const file of ['flow.ts', 'flow.mts', 'flow.cts', 'a/flow.js', 'flow.mjs', 'FLOW.CJS']) expect(isCodeFile(file), file).toBe(true);
    for (const file of ['flow.yaml', 'flow.json', 'flow.sh', 'flow.d', 'ts']) expect(isCodeFile(file), file).toBe(false);
  });
});

/** The child of the cross-process test: installs an SDK object, imports the snapshot, prints what it saw. */
function childScript(): string {
  const load = pathToFileURL(join(import.meta.dirname, 'load.ts')).href;
  return `
import { readFileSync } from 'node:fs';
import { importCode } from ${JSON.stringify(load)};
// tsx turned source maps on for load.ts; importCode must turn them on for the bundle itself.
process.setSourceMapsEnabled(false);
globalThis[Symbol.for('baton.sdk')] = { workflow: (meta, fn) => ({ [Symbol.for('baton.workflow')]: true, meta, fn }) };
const exports = await importCode(JSON.parse(readFileSync('snapshot.json', 'utf8')));
let stack = '';
try { exports.fail(); } catch (error) { stack = error.stack; }
process.stdout.write(JSON.stringify({ name: exports.default.meta.name, stack }));
`;
}
