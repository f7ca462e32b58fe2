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
