/**
 * Moving runs between stores (`baton export` / `baton import`), and finding the store:
 * --store, BATON_STORE, baton.config.yaml, .baton/ and what happens when it is unusable.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';
import { dbIn, eventsOf, recordRun, withStore } from './runs-fixture.js';

const FLOW = `name: export-me
tasks:
  - id: list
    type: loop
    items: [a, b]
    task:
      type: shell
      command: echo "item \${ item }"
  - id: fail
    depends_on: [list]
    command: echo bad >&2; exit 4
`;

let dir: string;
let db: string;
let runId: string;

beforeAll(async () => {
  dir = tempDir();
  db = dbIn(dir);
  runId = await recordRun(db, FLOW);
});

describe('baton export and import', () => {
  it('round trip: the imported run has exactly the same events, status and tasks', async () => {
    const file = path.join(dir, 'run.jsonl');
    const exported = baton(['export', runId.slice(0, 18), '-o', file, '--store', db]);
    expect(exported.status, exported.stderr).toBe(0);
    expect(exported.stdout).toBe('');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const header = JSON.parse(lines[0]);
    expect(header).toMatchObject({ format: 'baton-run', version: 1, run: { id: runId, workflow: 'export-me', status: 'failed' } });
    expect(header.run.owner).toBeUndefined();
    const original = await eventsOf(db, runId);
    expect(lines.slice(1).map((l) => JSON.parse(l))).toEqual(original);

    const other = dbIn(tempDir(), 'other.db');
    const imported = baton(['import', file, '--store', other]);
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toBe(`${runId}\n`);
    expect(await eventsOf(other, runId)).toEqual(original);
    const [before, after] = await Promise.all([db, other].map((d) => withStore(d, async (s) => [await s.runs.getRun(runId), await s.runs.listTasks(runId)])));
    expect(after).toEqual(before);
    const status = baton(['status', runId, '--store', other]);
    expect(status.stdout).toMatch(/^ {4}list\[b\] +succeeded/m);
    expect(status.stdout).toMatch(/^ {2}fail +failed +1 +\S+ +4 /m);
  });

  it('stdout and stdin work as well; the same run twice is refused with STORE_RUN_EXISTS', () => {
    const exported = baton(['export', runId, '--store', db]);
    expect(exported.status).toBe(0);
    expect(readFileSync(path.join(dir, 'run.jsonl'), 'utf8')).toBe(exported.stdout);
    const other = dbIn(tempDir(), 'other.db');
    expect(baton(['import', '-', '--store', other], { input: exported.stdout }).stdout).toBe(`${runId}\n`);
    const again = baton(['import', '-', '--store', other], { input: exported.stdout });
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(new RegExp(`^baton: run ${runId} is already in .*other\\.db; nothing was imported .*\\[STORE_RUN_EXISTS\\]\\n$`));
  });

  it('export -o never overwrites a file', () => {
    const file = path.join(tempDir(), 'taken.jsonl');
    writeFileSync(file, 'mine\n');
    const r = baton(['export', runId, '-o', file, '--store', db]);
    expect(r.status).not.toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
  });

  it('every bad line is reported with file:line, and nothing is imported', () => {
    const lines = baton(['export', runId, '--store', db]).stdout.trimEnd().split('\n');
    lines[2] = '{"seq": 2, "type": "RunStarted", "at": ';
    lines[4] = JSON.stringify({ ...JSON.parse(lines[4]), type: 'TaskTeleported' });
    lines.splice(6, 1);
    const file = path.join(tempDir(), 'broken.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const target = dbIn(tempDir());
    const r = baton(['import', file, '--store', target]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const problems = r.stderr.trimEnd().split('\n');
    expect(problems[0]).toMatch(new RegExp(`^${file}:3: error IMPORT_JSON: not valid JSON`));
    expect(problems[1]).toBe(`${file}:5: error IMPORT_EVENT_TYPE: unknown event type 'TaskTeleported' (known: ${problems[1].split('(known: ')[1]}`);
    expect(problems[2]).toMatch(new RegExp(`^${file}:7: error IMPORT_SEQ: \\w+: seq 7 leaves a gap \\(expected 6\\)`));
    expect(problems[3]).toBe(`baton: ${file} was not imported: 3 problems`);
    expect(existsSync(target)).toBe(false);
  });

  it('no header, a newer version, an empty file, a missing file', () => {
    const write = (text: string) => {
      const file = path.join(tempDir(), 'x.jsonl');
      writeFileSync(file, text);
      return file;
    };
    const events = baton(['export', runId, '--store', db]).stdout.split('\n').slice(1).join('\n');
    const noHeader = write(events);
    expect(baton(['import', noHeader, '--store', dbIn(tempDir())]).stderr).toContain(`${noHeader}:1: error IMPORT_NO_HEADER: the header line is missing`);
    const newer = write(`{"format":"baton-run","version":7,"run":{"id":"X","workflow":"w","created_at":1}}\n${events}`);
    expect(baton(['import', newer, '--store', dbIn(tempDir())]).stderr).toContain(`${newer}:1: error IMPORT_VERSION_TOO_NEW: the export is version 7`);
    expect(baton(['import', '-', '--store', dbIn(tempDir())], { input: '' }).stderr).toContain('<stdin>:1: error IMPORT_EMPTY');
    const missing = baton(['import', path.join(dir, 'nope.jsonl'), '--store', dbIn(tempDir())]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^baton: cannot read .*nope\.jsonl: file not found \[IMPORT_READ\]\n$/);
  });
});

describe('where the store is', () => {
  it('a file that is not a store: one clear line, exit 3 (baton could not do its job), the file left alone', () => {
    const garbage = path.join(tempDir(), 'garbage.db');
    const bytes = Buffer.from('this is not a database, just some text that goes on for a while\n'.repeat(200));
    writeFileSync(garbage, bytes);
    for (const args of [['history'], ['status', 'X'], ['logs', 'X'], ['export', 'X']]) {
      const r = baton([...args, '--store', garbage]);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^baton: .*garbage\.db.*\[STORE_CORRUPT\]\n$/);
    }
    expect(readFileSync(garbage).equals(bytes)).toBe(true);
  });

  it('a store written by a newer baton: one line saying to upgrade, exit 3', async () => {
    const newer = dbIn(tempDir());
    await withStore(newer, async () => {});
    const Database = (await import('better-sqlite3')).default;
    const raw = new Database(newer);
    raw.pragma('user_version = 999');
    raw.close();
    const r = baton(['history', '--store', newer]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^baton: .*newer baton.*upgrade baton.*\[STORE_SCHEMA_TOO_NEW\]\n$/);
  });

  it('BATON_STORE, then --store over it; relative paths from the working folder', () => {
    const cwd = tempDir();
    const env = { BATON_STORE: path.relative(cwd, db) };
    expect(baton(['history'], { cwd, env }).stdout).toContain(runId);
    expect(baton(['history', '--store', 'memory'], { cwd, env }).stdout).toBe('No runs yet in memory.\n');
  });

  it('baton.config.yaml above the working folder names the store, relative to itself', () => {
    const root = tempDir();
    mkdirSync(path.join(root, 'deep/er'), { recursive: true });
    writeFileSync(path.join(root, 'baton.config.yaml'), `# where our runs live\nstore: ${path.relative(root, db)}\n`);
    const r = baton(['history'], { cwd: path.join(root, 'deep/er'), env: { BATON_STORE: '' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(runId);
  });

  it('a bad baton.config.yaml: every problem with file:line:col, exit 2', () => {
    const root = tempDir();
    writeFileSync(path.join(root, 'baton.config.yaml'), 'stor: runs.db\nstore: [1]\n');
    const r = baton(['history'], { cwd: root, env: { BATON_STORE: '' } });
    expect(r.status).toBe(2);
    const file = path.join(root, 'baton.config.yaml');
    expect(r.stderr).toContain(`${file}:1:1: error CONFIG_UNKNOWN_FIELD: unknown setting 'stor' (did you mean 'store'?)\n  hint: the settings are: store`);
    expect(r.stderr).toContain(`${file}:2:8: error CONFIG_TYPE: \`store\` must be a non-empty string`);
    expect(r.stderr).toMatch(/baton: .*baton\.config\.yaml: 2 problems in the configuration file \[CONFIG_INVALID\]\n$/);
  });

  it('reading leaves no .baton behind; the first write creates it with a .gitignore of *', () => {
    const root = tempDir();
    const env = { BATON_HOME: '', BATON_STORE: '' };
    expect(baton(['history'], { cwd: root, env }).stdout).toBe(`No runs yet in ${path.join(root, '.baton', 'baton.db')}.\n`);
    expect(baton(['status', 'X'], { cwd: root, env }).stderr).toMatch(/\[STORE_RUN_NOT_FOUND\]/);
    expect(existsSync(path.join(root, '.baton'))).toBe(false);
    const exported = baton(['export', runId, '--store', db]).stdout;
    const r = baton(['import', '-'], { cwd: root, env, input: exported });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(path.join(root, '.baton', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    expect(existsSync(path.join(root, '.baton', 'baton.db'))).toBe(true);
    expect(baton(['history'], { cwd: root, env }).stdout).toContain(runId);
  });
});
