/**
 * Exit codes through the built CLI, as scripts see them: 2 for what the caller can fix
 * (usage, an invalid workflow, an unknown run, a conflict), 3 when baton could not do its
 * job (the store locked, unwritable, ...), with one line on stderr and, under --json, an
 * error document with its category on stdout.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATON, baton, batonAsync, tempDir, until, writeWorkflow } from './helpers.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3');

const dir = tempDir('baton-errors-');
const db = path.join(dir, 'runs.db');
const flow = writeWorkflow('name: tiny\ntasks:\n  - id: a\n    command: echo hi\n');
let runId = '';

beforeAll(() => {
  const r = baton(['run', flow, '--store', db, '--json']);
  expect(r.status, r.stderr).toBe(0);
  runId = JSON.parse(r.stdout).run_id as string;
});

/** One line on stderr, nothing on stdout, and the exit code. */
function oneLine(r: { status: number | null; stdout: string; stderr: string }, status: number, pattern: RegExp) {
  expect(r.stderr.trimEnd()).toMatch(pattern);
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.status, r.stderr).toBe(status);
}

describe('usage errors exit 2 with the parser\'s message', () => {
  it.each([
    [['history', '-s', 'bogus'], /^baton: option '-s, --status <status>' argument 'bogus' is invalid. Allowed choices are running,/],
    [['run', 'x.yaml', '--bogus'], /^baton: unknown option '--bogus'/],
    [['status'], /^baton: missing required argument 'run-id'/],
    [['bogus'], /^baton: unknown command 'bogus'/],
    [['run'], /^baton: which workflow\? usage: baton run <file>/],
  ])('baton %j', (args, message) => {
    const r = baton(args);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });

  it('--help and --version still exit 0', () => {
    expect(baton(['--help']).status).toBe(0);
    expect(baton(['run', '--help']).status).toBe(0);
    expect(baton(['--version']).status).toBe(0);
  });

  it('with --json, a usage error is also a JSON document on stdout', () => {
    const r = baton(['history', '--json', '--status', 'bogus']);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'CLI_USAGE', category: 'usage', message: expect.stringContaining("argument 'bogus' is invalid") });
  });
});

describe('run ids', () => {
  it.each(['status', 'logs', 'resume', 'retry', 'cancel', 'export'])('baton %s with no run id, or an unknown one, exits 2 in one line', (command) => {
    oneLine(baton([command, '--store', db]), 2, /^baton: missing required argument 'run-id'/);
    oneLine(baton([command, 'ZZZZZZ', '--store', db]), 2, /^baton: run ZZZZZZ not found: .*\[STORE_RUN_NOT_FOUND\]$/m);
  });

  it('status --json of an unknown run prints the error with its category', () => {
    const r = baton(['status', 'ZZZZZZ', '--json', '--store', db]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'STORE_RUN_NOT_FOUND', category: 'not_found', message: expect.stringContaining('run ZZZZZZ not found'), details: { run: 'ZZZZZZ' } },
    });
  });

  it('run --json of an invalid workflow prints the error with its category and problems', () => {
    const bad = writeWorkflow('name: bad\ntasks:\n  - id: a\n    command: echo\n    depend_on: [x]\n');
    const r = baton(['run', bad, '--json', '--store', db]);
    expect(r.status).toBe(2);
    const { error } = JSON.parse(r.stdout);
    expect(error).toMatchObject({ code: 'SPEC_INVALID', category: 'invalid_workflow' });
    expect(error.details.diagnostics[0]).toMatchObject({ line: 5, col: 5 });
  });
});

describe('a store baton cannot use exits 3', () => {
  it('locked by another process: STORE_BUSY', () => {
    const locked = path.join(tempDir(), 'locked.db');
    expect(baton(['run', flow, '--store', locked]).status).toBe(0);
    const holder = new Database(locked);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const r = baton(['run', flow, '--store', locked, '--json']);
      expect(r.stderr).toMatch(/^baton: .*locked\.db stayed locked by another process .*\[STORE_BUSY\]\n$/);
      expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'STORE_BUSY', category: 'unavailable' });
      expect(r.status).toBe(3);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 60_000);

  it('a file it may not write: STORE_READONLY', () => {
    const folder = tempDir();
    chmodSync(folder, 0o755);
    const file = path.join(folder, 'mine.db');
    const readable = path.join(folder, 'flow.yaml');
    writeFileSync(readable, readFileSync(flow, 'utf8'), { mode: 0o644 });
    expect(baton(['run', readable, '--store', file]).status).toBe(0);
    chmodSync(file, 0o444);
    // Root may write anything: then the run is started as `nobody`.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, [BATON, 'run', readable, '--store', file, '--view', 'none'], {
      ...asNobody,
      cwd: folder,
      env: { ...process.env, NO_COLOR: '1', BATON_HOME: path.join(folder, 'home'), HOME: folder },
      encoding: 'utf8',
      timeout: 60_000,
    });
    oneLine(r, 3, /^baton: .*mine\.db is read-only: .*\[STORE_READONLY\]$/);
  });

  it('locked in the middle of a run: one line naming the run and `baton resume <id>`, then resume finishes it', async () => {
    const work = tempDir();
    const store = path.join(work, 'busy.db');
    const marker = path.join(work, 'started');
    const file = writeWorkflow(`name: slow\ntasks:\n  - id: a\n    command: touch ${marker}; sleep 1\n  - id: b\n    depends_on: [a]\n    command: echo after\n`);
    const child = batonAsync(['run', file, '--store', store, '--view', 'none']);
    await until(() => existsSync(marker), 20_000, 'task a to start');
    const holder = new Database(store, { timeout: 10_000 });
    holder.exec('BEGIN EXCLUSIVE');
    let r;
    try {
      r = await child.done;
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    const id = JSON.parse(baton(['history', '--json', '--store', store]).stdout)[0].run_id as string;
    expect(r.stderr).toMatch(new RegExp(`^baton: run ${id} stopped: .*busy\\.db stayed locked .*; go on with \`baton resume ${id}\` once that is fixed \\[STORE_BUSY\\]\\n$`));
    expect(r.status).toBe(3);
    const resumed = baton(['resume', id, '--store', store, '--view', 'none']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(baton(['status', id, '--json', '--store', store]).stdout).status).toBe('succeeded');
  }, 90_000);
});

describe('small defects', () => {
  it('export -o to a file that exists: one coded line, the file kept; --force overwrites it', () => {
    const file = path.join(tempDir(), 'taken.jsonl');
    writeFileSync(file, 'mine\n');
    oneLine(baton(['export', runId, '-o', file, '--store', db]), 2, /^baton: .*taken\.jsonl already exists; nothing was written \(add --force to overwrite it.*\[EXPORT_EXISTS\]$/);
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    const forced = baton(['export', runId, '-o', file, '--force', '--store', db]);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(baton(['export', runId, '--store', db]).stdout);
    oneLine(baton(['export', runId, '-o', path.join(dir, 'no/such/folder/x.jsonl'), '--store', db]), 2, /^baton: cannot write .*x\.jsonl: its folder does not exist \[EXPORT_WRITE\]$/);
  });

  it('BATON_HOME pointing at a file is an error, not "No runs yet"', () => {
    const file = path.join(tempDir(), 'home-file');
    writeFileSync(file, 'x');
    for (const args of [['history'], ['run', flow]]) {
      const r = baton(args, { env: { BATON_HOME: file, BATON_STORE: '' } });
      oneLine(r, 2, /^baton: BATON_HOME is .*home-file, which is a file, not a folder: .*\[CONFIG_HOME_NOT_FOLDER\]$/);
    }
  });
});
