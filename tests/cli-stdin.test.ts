import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, tempDir, TEST_HOME } from './helpers.js';

/** A project folder with its own store; `baton run -` is fed `input`. */
function project() {
  const dir = tempDir('baton-stdin-');
  writeFileSync(path.join(dir, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  const run = (input: string, ...args: string[]) => baton(['run', '-', '--view', 'none', ...args], { cwd: dir, input });
  // Scratch files go to baton's home: the test helpers' BATON_HOME.
  const home = TEST_HOME;
  const scratch = () => (existsSync(path.join(home, 'scratch')) ? readdirSync(path.join(home, 'scratch')).filter((f) => f.startsWith('stdin-')) : []);
  return { dir, run, scratch };
}

describe('baton run - (a workflow or a script on standard input)', () => {
  it('runs YAML, a script with #!, and TypeScript, in the current folder; the scratch file is removed after', () => {
    const p = project();
    const yaml = p.run('name: piped\ntasks:\n  - id: where\n    command: pwd\n', '--json');
    expect(yaml.status).toBe(0);
    expect(JSON.parse(yaml.stdout).tasks[0].outputs.stdout).toBe(p.dir);
    const script = p.run('#!/bin/sh\nset -e\nbaton step hi -- echo hello\nbaton summary "done in $(pwd)"\n', '--json');
    expect(script.status).toBe(0);
    expect(JSON.parse(script.stdout).summary).toBe(`done in ${p.dir}`);
    const ts = p.run('import { workflow } from "baton";\nexport default workflow({ name: "piped-ts" }, async (ctx) => ctx.step("answer", () => 42));\n', '--json');
    expect(JSON.parse(ts.stdout)).toMatchObject({ status: 'succeeded', result: 42 });
    expect(p.scratch()).toEqual([]);
  });

  it('has a time limit of its own (--timeout), keeps the scratch file when asked, and says what is wrong with empty input', () => {
    const p = project();
    const slow = p.run('name: slow\ntasks:\n  - id: nap\n    command: sleep 5\n', '--timeout', '1', '--json');
    expect(slow.status).toBe(1);
    expect(JSON.parse(slow.stdout).error.code).toBe('RUN_TIMEOUT');
    const kept = p.run('name: kept\ntasks:\n  - id: a\n    command: "true"\n', '--keep-scratch');
    const keptFile = /baton: kept (.*\/scratch\/stdin-[^/]*\.yaml)\n/.exec(kept.stderr)?.[1];
    expect(keptFile && existsSync(keptFile)).toBe(true);
    const empty = p.run('');
    expect(empty.status).toBe(2);
    expect(empty.stderr).toBe('baton: standard input is empty: nothing to run [USAGE_STDIN]\n');
    expect(p.run('name: x\ntasks:\n  - id: a\n    command: "true"\n', '--timeout', 'soon').stderr).toMatch(/--timeout "soon" is not a duration.*\[USAGE_BAD_DURATION\]/);
    // Input that is not a valid workflow: the file the diagnostics name is kept to check.
    const invalid = p.run('name: x\ntasks: []\n');
    expect(invalid.status).toBe(2);
    const named = /(\/\S*\/scratch\/stdin-[^:]*\.yaml):2:8: error SPEC_INVALID_VALUE/.exec(invalid.stderr)?.[1];
    expect(named && existsSync(named)).toBe(true);
    expect(invalid.stderr).toContain(`baton: kept ${named}: what standard input held, for the diagnostics above`);
  });
});

describe("baton.config.yaml's limits for ad-hoc runs (seed 003)", () => {
  it('scripts.timeout is the time limit of `baton run -`; allowed_extensions refuses other kinds; limits.summary_bytes bounds the summary', () => {
    const p = project();
    writeFileSync(
      path.join(p.dir, 'baton.config.yaml'),
      'store: .baton/baton.db\nscripts:\n  timeout: 1s\n  allowed_extensions: [.sh, .yaml]\nlimits:\n  summary_bytes: 100\n',
    );
    const slow = p.run('#!/bin/sh\nsleep 5\n', '--json');
    expect(slow.status).toBe(1);
    expect(JSON.parse(slow.stdout).error.code).toBe('RUN_TIMEOUT');
    const python = p.run('#!/usr/bin/env python3\nprint("hi")\n');
    expect(python.status).toBe(2);
    expect(python.stderr).toContain('standard input holds a .py file, and baton.config.yaml allows only .sh, .yaml (scripts.allowed_extensions): write it as one of those, or add .py to the list [SCRIPT_NOT_ALLOWED]');
    const ts = p.run('import { workflow } from "baton";\nexport default workflow({ name: "t" }, async () => 1);\n');
    expect(ts.stderr).toContain('standard input holds a .ts file');
    const long = p.run(`#!/bin/bash\nbaton summary "${'x'.repeat(300)}end"\n`, '--json');
    expect(long.status, long.stderr).toBe(0);
    const summary = JSON.parse(long.stdout).summary as string;
    expect(summary.endsWith('xend')).toBe(true);
    expect(Buffer.byteLength(summary)).toBeLessThan(160);
  });
});

describe("baton.config.yaml's limits.step_result_bytes", () => {
  it("is a code step's result limit when the workflow sets none", () => {
    const p = project();
    writeFileSync(path.join(p.dir, 'baton.config.yaml'), 'store: .baton/baton.db\nlimits:\n  step_result_bytes: 1024\n');
    writeFileSync(path.join(p.dir, 'big.ts'), "import { workflow } from 'baton';\nexport default workflow({ name: 'big' }, async (ctx) => ctx.step('blob', () => 'x'.repeat(2000)));\n");
    const r = baton(['run', 'big.ts', '--json'], { cwd: p.dir });
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).tasks[0].error).toMatchObject({ code: 'STEP_RESULT_TOO_LARGE', message: expect.stringContaining('over the limit of 1 KiB') });
  });
});
