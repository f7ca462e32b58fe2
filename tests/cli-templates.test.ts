import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/project.js';
import { SETTING_HELP } from '../src/config/settings.js';
import { routeServer } from '../src/executors/test-support.js';
import { baton, batonAsync, ROOT, tempDir, type CliResult } from './helpers.js';

/** Every template in the package's templates/ folder: its name and file. */
const TEMPLATES = readdirSync(path.join(ROOT, 'templates'))
  .filter((f) => /\.(yaml|ts)$/.test(f))
  .map((file) => ({ name: file.replace(/\.(yaml|ts)$/, ''), file, ts: file.endsWith('.ts') }));
const SEED_TYPES = ['ci-cd', 'deploy', 'backup', 'health-check', 'etl'];

const server = routeServer({
  '/health': (_req, res) => res.end('{"status":"ok"}'),
  '/missing': (_req, res) => {
    res.statusCode = 404;
    res.end('no such page');
  },
  '/down': (_req, res) => {
    res.statusCode = 503;
    res.end('down for maintenance');
  },
  '/hook': (_req, res, body) => {
    hooks.push(body);
    res.end('ok');
  },
});
const hooks: string[] = [];

function json(r: CliResult) {
  expect(r.stderr, r.stdout).not.toMatch(/internal error/);
  return JSON.parse(r.stdout);
}

/** `baton run FILE --json` in the file's folder, without blocking this process (the test server answers meanwhile). */
async function run(cwd: string, file: string, ...args: string[]) {
  const r = await batonAsync(['run', file, '--json', ...args], { cwd }).done;
  return { ...r, summary: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
}

describe('baton init', () => {
  it('makes a project whose example workflows run, and a second init skips what is there', async () => {
    const dir = tempDir('baton-init-');
    const first = baton(['init'], { cwd: dir });
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`baton project in ${dir}:`);
    for (const line of ['wrote      baton.config.yaml', 'created    .gitignore (.baton/ added)', `wrote      ${path.join('skills', 'README.md')}`, 'wrote      hello.yaml', 'wrote      hello.ts']) {
      expect(first.stdout).toContain(line);
    }
    expect(first.stdout).toContain('Next: baton run hello.yaml');
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\.baton\/$/m);
    // The examples name the files they are in.
    expect(readFileSync(path.join(dir, 'hello.ts'), 'utf8')).toContain('//   baton run hello.ts ');

    const yaml = await run(dir, 'hello.yaml', '-i', 'who=ops');
    expect(yaml.status, yaml.stderr).toBe(0);
    expect(yaml.summary.result).toEqual({ greeting: 'Hello, ops!' });
    const ts = await run(dir, 'hello.ts');
    expect(ts.status, ts.stderr).toBe(0);
    expect(ts.summary.summary).toMatch(/^Hello, world, from .+!$/);
    expect(ts.summary.tasks.map((t: { id: string }) => t.id)).toEqual(['host', 'greet']);

    writeFileSync(path.join(dir, 'hello.yaml'), 'name: mine\ntasks: [{ id: a, command: "true" }]\n');
    const again = json(baton(['init', '--json'], { cwd: dir }));
    expect(again.files).toEqual([
      { file: 'baton.config.yaml', action: 'skipped' },
      { file: '.gitignore', action: 'unchanged' },
      { file: path.join('skills', 'README.md'), action: 'skipped' },
      { file: 'hello.yaml', action: 'skipped' },
      { file: 'hello.ts', action: 'skipped' },
    ]);
    expect(readFileSync(path.join(dir, 'hello.yaml'), 'utf8')).toMatch(/^name: mine/);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8').match(/\.baton\//g)).toHaveLength(1);
    expect(baton(['init'], { cwd: dir }).stdout).toContain('Files that exist were left as they are (--force overwrites them).');

    const forced = json(baton(['init', '--force', '--json'], { cwd: dir }));
    expect(forced.files.find((f: { file: string }) => f.file === 'hello.yaml').action).toBe('overwrote');
    expect(readFileSync(path.join(dir, 'hello.yaml'), 'utf8')).toMatch(/^name: hello$/m);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8').match(/\.baton\//g)).toHaveLength(1);
  });

  it('makes the folder given, appends to a .gitignore once, and leaves one that ignores .baton alone', () => {
    const parent = tempDir('baton-init-');
    writeFileSync(path.join(parent, '.gitignore'), 'node_modules');
    const made = baton(['init', 'ops/app'], { cwd: parent });
    expect(made.status).toBe(0);
    expect(made.stdout).toContain('Next: cd ops/app && baton run hello.yaml');
    expect(existsSync(path.join(parent, 'ops', 'app', 'hello.ts'))).toBe(true);

    // node_modules had no newline at its end: the entry goes on a line of its own.
    expect(baton(['init'], { cwd: parent }).stdout).toMatch(/^ {2}appended +\.gitignore \(\.baton\/ added\)$/m);
    expect(readFileSync(path.join(parent, '.gitignore'), 'utf8')).toMatch(/^node_modules\n# baton's run data .*\n\.baton\/\n$/);

    const ignores = tempDir('baton-init-');
    writeFileSync(path.join(ignores, '.gitignore'), 'dist\n/.baton\n');
    expect(baton(['init'], { cwd: ignores }).stdout).toMatch(/^ {2}unchanged +\.gitignore \(already ignores \.baton\/\)$/m);
    expect(readFileSync(path.join(ignores, '.gitignore'), 'utf8')).toBe('dist\n/.baton\n');

    const yml = tempDir('baton-init-');
    writeFileSync(path.join(yml, 'baton.config.yml'), 'store: memory\n');
    expect(json(baton(['init', '--force', '--json'], { cwd: yml })).files[0]).toEqual({ file: 'baton.config.yml', action: 'skipped' });
    expect(existsSync(path.join(yml, 'baton.config.yaml'))).toBe(false);
    expect(baton(['skills', 'list'], { cwd: yml }).status).toBe(0);

    const file = path.join(parent, 'a-file');
    writeFileSync(file, '');
    const refused = baton(['init', file]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`cannot make a project in ${file}: it is a file, not a folder [TEMPLATE_WRITE]`);
  });

  it('baton.config.yaml loads as written, shows every setting, and still loads with every setting uncommented', () => {
    const dir = tempDir('baton-init-');
    baton(['init'], { cwd: dir });
    const file = path.join(dir, 'baton.config.yaml');
    const text = readFileSync(file, 'utf8');
    expect(parseConfig(text, file)).toEqual({ config: {}, diagnostics: [] });
    // A command that reads the project's configuration is happy with it.
    expect(baton(['skills', 'list'], { cwd: dir }).status).toBe(0);
    for (const setting of Object.keys(SETTING_HELP)) expect(text, setting).toMatch(new RegExp(`^# ${setting}:`, 'm'));
    // Uncomment the setting lines (`# key: value`, `#   key: value`), not the prose.
    const uncommented = text.replace(/^# ( *[a-z_]+:.*)$/gm, '$1');
    expect(uncommented).not.toBe(text);
    const parsed = parseConfig(uncommented, file);
    expect(parsed.diagnostics).toEqual([]);
    expect(Object.keys(parsed.config!).sort()).toEqual(Object.keys(SETTING_HELP).sort());
    expect(parsed.config).toMatchObject({ store: '.baton/baton.db', scripts: { timeout: 300_000 }, limits: { summary_bytes: 4096, step_result_bytes: 1048576 }, sandbox: { mode: 'off', network: false }, mcp: { approvals: false } });
  });
});

describe('baton create and generate: every template validates and runs as written', () => {
  it('--list names every template with what it does; the help of create and generate names them too', () => {
    const list = json(baton(['create', '--list', '--json']));
    expect(list.templates.map((t: { name: string }) => t.name).sort()).toEqual(TEMPLATES.map((t) => t.name).sort());
    for (const t of list.templates) {
      expect(t.description, t.name).toMatch(/^[a-z].{20,}$/);
      expect(t.kind).toBe(t.name === 'hello-ts' ? 'typescript' : 'yaml');
    }
    expect(list.templates.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(SEED_TYPES));
    const human = baton(['create', '--list']).stdout;
    expect(human).toMatch(/^deploy +yaml +build a release, test it, deploy it, verify it with retries, roll back on failure\.$/m);
    const help = baton(['create', '--help']).stdout + baton(['generate', '--help']).stdout;
    for (const t of TEMPLATES) expect(help.match(new RegExp(`\\b${t.name}\\b`, 'g'))?.length ?? 0, t.name).toBeGreaterThanOrEqual(2);
  });

  it.each(TEMPLATES.map((t) => [t.name, t] as const))('create --template %s: named as asked, valid, and it runs', async (_name, template) => {
    const dir = tempDir('baton-create-');
    const created = baton(['create', 'my-flow', '--template', template.name], { cwd: dir });
    expect(created.status, created.stderr).toBe(0);
    const file = template.ts ? 'my-flow.ts' : 'my-flow.yaml';
    expect(created.stdout).toContain(`Created ${file} (workflow my-flow, from template ${template.name})`);
    expect(created.stdout).toContain(`then run it: baton run ${file}`);
    const text = readFileSync(path.join(dir, file), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^(#|\/\/) my-flow: /);
    expect(text).not.toContain(template.file);

    const checked = json(baton(['validate', '--json', file], { cwd: dir }));
    expect(checked.valid).toBe(true);
    // No warnings either: every program the commands name is there.
    expect(checked.files[0].diagnostics).toEqual([]);

    const inputs = template.name === 'health-check' ? ['-i', `url=${server.base()}/health`] : [];
    const result = await run(dir, file, ...inputs);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.summary.status).toBe('succeeded');
    expect(result.summary.workflow.name).toBe('my-flow');
  });

  it.each(SEED_TYPES)('generate --type %s writes the template as it is, to <type>.yaml, -o FILE or stdout', (type) => {
    const dir = tempDir('baton-generate-');
    const written = json(baton(['generate', '--type', type, '--json'], { cwd: dir }));
    expect(written).toEqual({ file: path.join(dir, `${type}.yaml`), action: 'wrote', template: type, workflow: type, next: `baton run ${type}.yaml` });
    const text = readFileSync(path.join(dir, `${type}.yaml`), 'utf8');
    expect(text).toBe(readFileSync(path.join(ROOT, 'templates', `${type}.yaml`), 'utf8'));
    expect(baton(['generate', '--type', type, '-o', '-'], { cwd: dir }).stdout).toBe(text);
    expect(baton(['generate', '--type', type, '-o', 'ops/nightly.yml'], { cwd: dir }).status).toBe(0);
    const other = readFileSync(path.join(dir, 'ops', 'nightly.yml'), 'utf8');
    expect(other).toMatch(new RegExp(`^name: ${type}$`, 'm'));
    expect(other).toContain('baton run nightly.yml');
    expect(baton(['validate', 'ops/nightly.yml'], { cwd: dir }).stdout).toBe('ops/nightly.yml: valid\n');
  });

  it('deploy: a release that fails its health check is rolled back to the one before', async () => {
    const dir = tempDir('baton-deploy-');
    baton(['generate', '--type', 'deploy'], { cwd: dir });
    const good = await run(dir, 'deploy.yaml', '-i', 'version=1.0', '-i', `health_url=${server.base()}/health`);
    expect(good.status, good.stderr).toBe(0);
    expect(good.summary.result).toEqual({ version: '1.0', previous: '' });
    expect(readlinkSync(path.join(dir, 'deploy-target', 'current'))).toBe('releases/1.0');

    const bad = await run(dir, 'deploy.yaml', '-i', 'version=2.0', '-i', `health_url=${server.base()}/down`);
    expect(bad.status).toBe(1);
    const task = (id: string) => bad.summary.tasks.find((t: { id: string }) => t.id === id);
    expect(task('health').status).toBe('failed');
    expect(task('health').error.message).toMatch(/skill http-health-check\) failed/);
    expect(task('rollback').status).toBe('succeeded');
    expect(task('prune').status).toBe('skipped');
    expect(readlinkSync(path.join(dir, 'deploy-target', 'current'))).toBe('releases/1.0');
  });

  it('backup: keeps the newest <keep> backups, each with a checksum that verifies', async () => {
    const dir = tempDir('baton-backup-');
    mkdirSync(path.join(dir, 'data'));
    writeFileSync(path.join(dir, 'data', 'orders.csv'), 'id,amount\n1,2\n');
    baton(['generate', '--type', 'backup'], { cwd: dir });
    const results = [];
    for (let i = 0; i < 3; i++) {
      const r = await run(dir, 'backup.yaml', '-i', 'source=data', '-i', 'keep=2');
      expect(r.status, r.stderr).toBe(0);
      results.push(r.summary);
    }
    const kept = readdirSync(path.join(dir, 'backups')).sort();
    const names = results.slice(1).map((s) => path.basename(s.result.file));
    expect(kept).toEqual(names.flatMap((n) => [n, `${n}.sha256`]).sort());
    const last = results[2].result;
    expect(last).toMatchObject({ bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(readFileSync(path.join(dir, `${last.file}.sha256`), 'utf8')).toBe(`${last.sha256}  ${path.basename(last.file)}\n`);
  });

  it('health-check: an endpoint that is down fails the run and posts an alert to the webhook', async () => {
    const dir = tempDir('baton-health-');
    baton(['generate', '--type', 'health-check'], { cwd: dir });
    hooks.length = 0;
    const r = await run(dir, 'health-check.yaml', '-i', `url=${server.base()}/missing`, '-i', `webhook_url=${server.base()}/hook`);
    expect(r.status).toBe(1);
    const endpoint = r.summary.tasks.find((t: { id: string }) => t.id === 'endpoint');
    expect(endpoint.error.message).toMatch(/skill http-health-check\) failed/);
    expect(r.summary.tasks.find((t: { id: string }) => t.id === 'alert').status).toBe('succeeded');
    expect(hooks.map((h) => JSON.parse(h))).toEqual([{ text: `health-check of ${server.base()}/missing failed: ${endpoint.error.message}` }]);
  });

  it('etl: loads every file once, and a second run replaces rather than duplicates', async () => {
    const dir = tempDir('baton-etl-');
    baton(['generate', '--type', 'etl'], { cwd: dir });
    for (let i = 0; i < 2; i++) {
      const r = await run(dir, 'etl.yaml');
      expect(r.status, r.stderr).toBe(0);
      expect(r.summary.result).toEqual({ files: 2, rows: 3, rejected: 1 });
    }
    const loaded = readdirSync(path.join(dir, 'data', 'warehouse')).sort();
    expect(loaded).toEqual(['orders-2026-01-01.jsonl', 'orders-2026-01-02.jsonl']);
    const rows = loaded.flatMap((f) => readFileSync(path.join(dir, 'data', 'warehouse', f), 'utf8').trim().split('\n').map((l) => JSON.parse(l)));
    expect(rows.map((r) => [r.id, r.amount_cents, r.currency])).toEqual([[1001, 1990, 'EUR'], [1002, 500, 'USD'], [1003, 25000, 'USD']]);
  });
});

describe('baton create and generate: refusals', () => {
  it('an unknown template is named with a did-you-mean and the list; nothing is written', () => {
    const dir = tempDir('baton-create-');
    const r = baton(['create', 'web', '--template', 'deplyo'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^baton: no template "deplyo" \(did you mean 'deploy'\?\): the templates are backup, ci-cd, deploy, etl, health-check, hello, hello-ts \(see them with `baton create --list`\) \[TEMPLATE_NOT_FOUND\]\n$/);
    expect(readdirSync(dir)).toEqual([]);
    const asJson = json(baton(['generate', '--type', 'backpu', '--json'], { cwd: dir }));
    expect(asJson.error).toMatchObject({ code: 'TEMPLATE_NOT_FOUND', category: 'not_found', details: { template: 'backpu' } });
    expect(asJson.error.message).toContain("did you mean 'backup'?");
  });

  it('an existing file is kept unless --force (exit 2, saying so)', () => {
    const dir = tempDir('baton-create-');
    writeFileSync(path.join(dir, 'web.yaml'), 'mine\n');
    const r = baton(['create', 'web', '--template', 'deploy'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`baton: ${path.join(dir, 'web.yaml')} already exists; nothing was written (add --force to overwrite it, or choose another name) [TEMPLATE_EXISTS]\n`);
    expect(readFileSync(path.join(dir, 'web.yaml'), 'utf8')).toBe('mine\n');
    expect(baton(['generate', '--type', 'deploy', '-o', 'web.yaml'], { cwd: dir }).stderr).toContain('[TEMPLATE_EXISTS]');
    const forced = baton(['create', 'web', '--template', 'deploy', '--force'], { cwd: dir });
    expect(forced.stdout).toMatch(/^Overwrote web.yaml \(workflow web, from template deploy\)/);
    expect(readFileSync(path.join(dir, 'web.yaml'), 'utf8')).toMatch(/^name: web$/m);
  });

  it('names, extensions and missing options', () => {
    const dir = tempDir('baton-create-');
    const bad = baton(['create', 'my deploy', '--template', 'deploy'], { cwd: dir });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"my deploy" cannot name a workflow file: use letters, digits, \'_\', \'.\' and \'-\', starting with a letter, digit or \'_\', at most 100 (try my-deploy) [TEMPLATE_NAME]');
    const ext = baton(['create', 'web.ts', '--template', 'deploy'], { cwd: dir });
    expect(ext.stderr).toContain('web.ts: template deploy is a workflow file, so its file must end in .yaml or .yml [TEMPLATE_NAME]');
    expect(baton(['generate', '--type', 'hello-ts', '-o', 'x.yaml'], { cwd: dir }).stderr).toContain('template hello-ts is a TypeScript workflow, so its file must end in .ts or .mts');
    const noTemplate = baton(['create', 'web'], { cwd: dir });
    expect(noTemplate.status).toBe(2);
    expect(noTemplate.stderr).toContain('baton create web needs --template <template>, one of: backup, ci-cd, deploy, etl, health-check, hello, hello-ts [CLI_USAGE]');
    expect(baton(['create', '--template', 'deploy'], { cwd: dir }).stderr).toContain("baton create needs the new workflow's name");
    expect(baton(['generate'], { cwd: dir }).status).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
    // A name with its extension and a folder: ops/web.yml holds workflow web.
    expect(baton(['create', 'ops/web.yml', '--template', 'hello'], { cwd: dir }).status).toBe(0);
    expect(readFileSync(path.join(dir, 'ops', 'web.yml'), 'utf8')).toMatch(/^name: web$/m);
    // A name YAML would read as another type is quoted.
    expect(baton(['create', 'true', '--template', 'hello'], { cwd: dir }).status).toBe(0);
    expect(readFileSync(path.join(dir, 'true.yaml'), 'utf8')).toMatch(/^name: "true"$/m);
    expect(json(baton(['validate', '--json', 'true.yaml'], { cwd: dir })).valid).toBe(true);
  });
});

describe('the TypeScript template', () => {
  it("type-checks against the 'baton' package's declarations", () => {
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', 'templates/hello-ts.ts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);
});
