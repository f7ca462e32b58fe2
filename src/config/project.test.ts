import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { ConfigInvalidError } from './errors.js';
import { ensureHome, findConfigFile, loadProject, parseConfig, resolveStoreLocation } from './project.js';

/** A fresh folder tree: `files` maps relative paths to contents (a trailing `/` makes a folder). */
function tree(files: Record<string, string> = {}): string {
  const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'baton-config-')));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    if (name.endsWith('/')) mkdirSync(file, { recursive: true });
    else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
  }
  return root;
}

const noEnv = {};

describe('finding the project', () => {
  test('without a config file the project is the working folder', () => {
    const root = tree({ 'a/b/': '' });
    const cwd = path.join(root, 'a/b');
    // The temp folder's ancestors hold no config file (checked so the test means something).
    expect(findConfigFile(cwd)).toBeUndefined();
    expect(loadProject({ cwd, env: noEnv })).toEqual({ root: cwd, home: path.join(cwd, '.baton'), config: {} });
  });

  test('the nearest config file above the working folder makes its folder the root', () => {
    const root = tree({ 'baton.config.yaml': 'store: runs.db\n', 'a/b/c/': '' });
    const project = loadProject({ cwd: path.join(root, 'a/b/c'), env: noEnv });
    expect(project.root).toBe(root);
    expect(project.configFile).toBe(path.join(root, 'baton.config.yaml'));
    expect(project.home).toBe(path.join(root, '.baton'));
  });

  test('.yml is found too, and the nearer file wins', () => {
    const root = tree({ 'baton.config.yaml': '', 'sub/baton.config.yml': 'store: memory\n', 'sub/deeper/': '' });
    const project = loadProject({ cwd: path.join(root, 'sub/deeper'), env: noEnv });
    expect(project.configFile).toBe(path.join(root, 'sub/baton.config.yml'));
    expect(project.config).toEqual({ store: 'memory' });
  });

  test('both spellings in one folder is an error naming both', () => {
    const root = tree({ 'baton.config.yaml': '', 'baton.config.yml': '' });
    expect(() => loadProject({ cwd: root, env: noEnv })).toThrow(/baton\.config\.yaml and .*baton\.config\.yml exist: keep one/);
  });

  test('BATON_HOME moves the home, relative to the working folder', () => {
    const root = tree({ 'baton.config.yaml': '', 'a/': '' });
    expect(loadProject({ cwd: path.join(root, 'a'), env: { BATON_HOME: 'state' } }).home).toBe(path.join(root, 'a/state'));
    expect(loadProject({ cwd: root, env: { BATON_HOME: '/var/baton' } }).home).toBe('/var/baton');
    expect(loadProject({ cwd: root, env: { BATON_HOME: '' } }).home).toBe(path.join(root, '.baton'));
  });
});

describe('the store location', () => {
  const setup = () => {
    const root = tree({ 'baton.config.yaml': 'store: data/runs.db\n', 'sub/': '' });
    const cwd = path.join(root, 'sub');
    return { root, cwd, project: loadProject({ cwd, env: noEnv }) };
  };

  test('--store beats BATON_STORE beats the config beats the default', () => {
    const { root, cwd, project } = setup();
    expect(resolveStoreLocation(project, { cwd, env: { BATON_STORE: 'env.db' }, flag: 'flag.db' })).toEqual({
      location: path.join(cwd, 'flag.db'),
      source: 'flag',
      inHome: false,
    });
    expect(resolveStoreLocation(project, { cwd, env: { BATON_STORE: 'env.db' } })).toMatchObject({ location: path.join(cwd, 'env.db'), source: 'env' });
    // The config's relative path is relative to the config file, not to where baton runs.
    expect(resolveStoreLocation(project, { cwd, env: {} })).toMatchObject({ location: path.join(root, 'data/runs.db'), source: 'config' });
    const bare = loadProject({ cwd: tree(), env: noEnv });
    expect(resolveStoreLocation(bare, { cwd, env: {} })).toEqual({ location: path.join(bare.home, 'baton.db'), source: 'default', inHome: true });
  });

  test('empty settings count as unset', () => {
    const { root, cwd, project } = setup();
    expect(resolveStoreLocation(project, { cwd, env: { BATON_STORE: ' ' }, flag: '' }).location).toBe(path.join(root, 'data/runs.db'));
  });

  test('memory and URLs are kept as they are', () => {
    const { cwd, project } = setup();
    expect(resolveStoreLocation(project, { cwd, env: {}, flag: 'memory' }).location).toBe('memory');
    expect(resolveStoreLocation(project, { cwd, env: { BATON_STORE: 'postgres://db/baton' } }).location).toBe('postgres://db/baton');
    const root = tree({ 'baton.config.yaml': 'store: memory\n' });
    expect(resolveStoreLocation(loadProject({ cwd: root, env: noEnv }), { cwd: root, env: {} }).location).toBe('memory');
  });

  test('the default follows BATON_HOME', () => {
    const root = tree();
    const project = loadProject({ cwd: root, env: { BATON_HOME: '/tmp/elsewhere' } });
    expect(resolveStoreLocation(project, { cwd: root, env: {} }).location).toBe('/tmp/elsewhere/baton.db');
  });
});

describe('the config file is checked like a workflow file', () => {
  const check = (text: string) => parseConfig(text, 'baton.config.yaml').diagnostics.map(formatDiagnostic);

  test('an empty file, or one with only comments, is fine', () => {
    expect(parseConfig('', 'c.yaml')).toEqual({ config: {}, diagnostics: [] });
    expect(parseConfig('# nothing yet\n', 'c.yaml')).toEqual({ config: {}, diagnostics: [] });
  });

  test('an unknown setting gets file:line:col and a did-you-mean', () => {
    const [line] = check('# settings\nstor: x.db\n');
    expect(line).toMatch(/^baton\.config\.yaml:2:1: error CONFIG_UNKNOWN_FIELD: unknown setting 'stor' \(did you mean 'store'\?\)\n/);
    expect(line).toContain('hint: the settings are: store (where runs are kept: a SQLite file path (relative to this file), a postgres:// URL, or `memory`); skills (');
  });

  test('every problem at once', () => {
    const lines = check('store: 3\ncolour: red\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^baton\.config\.yaml:1:8: error CONFIG_TYPE: `store` must be a non-empty string/);
    expect(lines[1]).toMatch(/^baton\.config\.yaml:2:1: error CONFIG_UNKNOWN_FIELD: unknown setting 'colour'\n/);
  });

  test('YAML syntax errors and a top level that is not a mapping', () => {
    expect(check('store: "unclosed\n')[0]).toMatch(/^baton\.config\.yaml:1:8: error CONFIG_YAML_SYNTAX: this double-quoted string is never closed/);
    expect(check('store: a\nstore: b\n')[0]).toMatch(/^baton\.config\.yaml:2:1: error CONFIG_DUPLICATE_KEY/);
    expect(check('- store\n')[0]).toMatch(/^baton\.config\.yaml:1:1: error CONFIG_TYPE: expected a mapping/);
  });

  test('loadProject throws the diagnostics', () => {
    const root = tree({ 'baton.config.yaml': 'stroe: x\n' });
    let thrown: unknown;
    try {
      loadProject({ cwd: root, env: noEnv });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigInvalidError);
    const error = thrown as ConfigInvalidError;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.diagnostics[0]).toMatchObject({ code: 'CONFIG_UNKNOWN_FIELD', file: path.join(root, 'baton.config.yaml'), line: 1, col: 1 });
  });

  test('skills, scripts, limits, sandbox and mcp settings are read; relative folders resolve against the file', () => {
    const text = 'skills: [../team-skills]\nscripts:\n  timeout: 2m\n  allowed_extensions: [.sh, .PY]\nlimits:\n  summary_bytes: 8192\n  step_result_bytes: 65536\nsandbox:\n  network: true\n  writable: [out]\nmcp:\n  approvals: true\n';
    expect(parseConfig(text, 'c.yaml')).toEqual({
      config: {
        skills: ['../team-skills'],
        scripts: { timeout: 120_000, allowed_extensions: ['.sh', '.py'] },
        limits: { summary_bytes: 8192, step_result_bytes: 65536 },
        sandbox: { mode: 'workspace-write', network: true, writable: ['out'] },
        mcp: { approvals: true },
      },
      diagnostics: [],
    });
    expect(parseConfig('sandbox: workspace-write\n', 'c.yaml').config).toEqual({ sandbox: { mode: 'workspace-write', network: false, writable: [] } });
    const root = tree({ 'baton.config.yaml': 'skills: [team-skills]\nsandbox: {writable: [out]}\n', 'sub/': '' });
    const project = loadProject({ cwd: path.join(root, 'sub'), env: noEnv });
    expect(project.config.skills).toEqual([path.join(root, 'team-skills')]);
    expect(project.config.sandbox?.writable).toEqual([path.join(root, 'out')]);
  });

  test('each wrong setting is reported where it is, with what to write', () => {
    const lines = check('skills: shared\nscripts:\n  timeout: soon\n  allowed: [.sh]\nlimits:\n  summary_bytes: -1\nsandbox: workspace-wrte\nmcp:\n  approvals: yes please\n');
    expect(lines.map((l) => l.split('\n')[0])).toEqual([
      'baton.config.yaml:1:9: error CONFIG_TYPE: `skills` must be a list of folders, e.g. [../team-skills]',
      'baton.config.yaml:3:12: error CONFIG_TYPE: `scripts.timeout` must be a duration such as 300s, 5m or 1h (a bare number is seconds)',
      "baton.config.yaml:4:3: error CONFIG_UNKNOWN_FIELD: unknown setting 'scripts.allowed'",
      'baton.config.yaml:6:18: error CONFIG_TYPE: `limits.summary_bytes` must be a whole number of bytes, at least 64',
      "baton.config.yaml:7:10: error CONFIG_TYPE: `sandbox` is 'workspace-wrte' (did you mean 'workspace-write'?)",
      'baton.config.yaml:9:14: error CONFIG_TYPE: `mcp.approvals` must be true or false',
    ]);
  });

  test('idempotency.retention: how long a run holds its key, a duration', () => {
    expect(parseConfig('idempotency:\n  retention: 48h\n', 'c.yaml')).toEqual({ config: { idempotency: { retention: 48 * 3_600_000 } }, diagnostics: [] });
    expect(parseConfig('idempotency: {}\n', 'c.yaml')).toEqual({ config: { idempotency: {} }, diagnostics: [] });
    expect(check('idempotency:\n  retention: forever\n').map((l) => l.split('\n')[0])).toEqual([
      'baton.config.yaml:2:14: error CONFIG_TYPE: `idempotency.retention` must be a duration such as 300s, 5m or 1h (a bare number is seconds)',
    ]);
    expect(check('idempotency:\n  retain: 1h\n').map((l) => l.split('\n')[0])).toEqual(["baton.config.yaml:2:3: error CONFIG_UNKNOWN_FIELD: unknown setting 'idempotency.retain'"]);
  });

  test('server.allowed_hosts: host names, without scheme or port', () => {
    expect(parseConfig('server:\n  allowed_hosts: [baton.example.com, 10.0.0.5, "[::1]"]\n', 'c.yaml')).toEqual({ config: { server: { allowed_hosts: ['baton.example.com', '10.0.0.5', '[::1]'] } }, diagnostics: [] });
    for (const wrong of ['baton.example.com', '[https://baton.example.com]', '[baton.example.com:8377]', '[3]']) {
      expect(check(`server:\n  allowed_hosts: ${wrong}\n`).map((l) => l.split('\n')[0]), wrong).toEqual([
        `baton.config.yaml:2:18: error CONFIG_TYPE: \`server.allowed_hosts\` must be a list of host names (no scheme, no port)`,
      ]);
    }
  });

  test('a folder named baton.config.yaml is not a config file', () => {
    const root = tree({ 'baton.config.yaml/': '' });
    expect(findConfigFile(root)).toBeUndefined();
  });
});

describe('ensureHome', () => {
  test('creates the home with a .gitignore of *, once', () => {
    const home = path.join(tree(), 'nested', '.baton');
    expect(ensureHome(home)).toBe(true);
    expect(readFileSync(path.join(home, '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    writeFileSync(path.join(home, '.gitignore'), 'mine\n');
    expect(ensureHome(home)).toBe(false);
    expect(readFileSync(path.join(home, '.gitignore'), 'utf8')).toBe('mine\n');
  });

  test('leaves a home it did not create alone', () => {
    const root = tree({ '.baton/': '' });
    expect(ensureHome(path.join(root, '.baton'))).toBe(false);
    expect(existsSync(path.join(root, '.baton/.gitignore'))).toBe(false);
  });
});

describe('baton home', () => {
  test('a home that is a file is an error that names it, not an empty store', () => {
    const root = tree({ 'not-a-folder': 'x' });
    const file = path.join(root, 'not-a-folder');
    const project = loadProject({ cwd: root, env: { BATON_HOME: file } });
    expect(() => resolveStoreLocation(project, { cwd: root, env: { BATON_HOME: file } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_HOME_NOT_FOLDER', message: expect.stringMatching(/^BATON_HOME is .*not-a-folder, which is a file, not a folder/) }),
    );
    const dotBaton = tree({ '.baton': 'x' });
    expect(() => resolveStoreLocation(loadProject({ cwd: dotBaton, env: noEnv }), { cwd: dotBaton, env: {} })).toThrow(
      expect.objectContaining({ code: 'CONFIG_HOME_NOT_FOLDER', message: expect.stringContaining('.baton is a file, not a folder') }),
    );
    // A store given elsewhere does not need the home.
    expect(resolveStoreLocation(project, { cwd: root, env: { BATON_HOME: file }, flag: 'memory' }).location).toBe('memory');
  });
});
