import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';

/**
 * A project with a skill `greet` (a YAML entry with typed inputs and outputs), a skill
 * `flaky` that fails until a marker file exists, and `notes` (instructions only).
 */
function project(): string {
  const root = tempDir('baton-uses-');
  writeFileSync(path.join(root, 'baton.config.yaml'), 'store: .baton/baton.db\n');
  const skill = (name: string, front: string, files: Record<string, string>) => {
    mkdirSync(path.join(root, 'skills', name), { recursive: true });
    writeFileSync(path.join(root, 'skills', name, 'SKILL.md'), `---\nname: ${name}\ndescription: The ${name} skill, for tests. Use it in tests.\n${front}---\n# ${name}\n`);
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(root, 'skills', name, file), text);
  };
  skill('greet', 'metadata:\n  baton.entry: workflow.yaml\n', {
    'workflow.yaml': [
      'name: greet',
      'inputs:',
      '  who: {type: string}',
      '  times: {type: number, default: 1}',
      'outputs:',
      '  text: "${ tasks.say.outputs.text }"',
      '  times: "${ inputs.times }"',
      'tasks:',
      '  - id: say',
      '    command: \'echo "text=hello $WHO x$TIMES from $(basename "$BATON_SKILL_DIR") in $(basename "$PWD")" >> "$BATON_OUTPUT"\'',
      '    environment: { WHO: "${ inputs.who }", TIMES: "${ inputs.times }" }',
      '',
    ].join('\n'),
  });
  skill('flaky', 'metadata:\n  baton.entry: flaky.sh\n', {
    'flaky.sh': '#!/bin/sh\n# Fails until the marker exists; counts its tries in the caller\'s folder.\necho try >> tries.txt\n[ -f "$INPUT_MARKER" ] || { echo "no marker yet" >&2; exit 3; }\nbaton summary "ok"\n',
  });
  skill('notes', '', {});
  return root;
}

const json = (stdout: string) => JSON.parse(stdout) as { run_id: string; status: string; result?: unknown; tasks: Array<{ id: string; status: string; outputs?: Record<string, unknown> }> };
/** The runs of the project's store, newest first. */
const history = (root: string) =>
  (JSON.parse(baton(['history', '--json'], { cwd: root }).stdout) as Array<{ run_id: string; workflow: { name: string }; status: string }>).map((r) => ({ id: r.run_id, workflow: r.workflow.name, status: r.status }));

describe('uses: in a workflow file', () => {
  it("runs the skill as a child run in the caller's folder; its outputs are the task's", () => {
    const root = project();
    writeFileSync(
      path.join(root, 'flow.yaml'),
      'name: caller\ntasks:\n  - id: hi\n    uses: greet\n    with: { who: ops, times: 2 }\n  - id: after\n    depends_on: [hi]\n    command: echo "got ${ tasks.hi.outputs.text } (${ tasks.hi.outputs.times })"\n',
    );
    const r = baton(['run', 'flow.yaml', '--json'], { cwd: root });
    expect(r.status, r.stderr).toBe(0);
    const run = json(r.stdout);
    expect(run.tasks.find((t) => t.id === 'hi')?.outputs).toEqual({ text: `hello ops x2 from greet in ${path.basename(root)}`, times: 2 });
    const logs = baton(['logs', run.run_id], { cwd: root }).stdout;
    expect(logs).toContain(`after | got hello ops x2 from greet in ${path.basename(root)} (2)`);
    // The child is a run of its own, with its result.
    const runs = history(root);
    const child = runs.find((h) => h.workflow === 'greet')!;
    expect(child.status).toBe('succeeded');
    expect(logs).toContain(`hi    | skill greet: run ${child.id} succeeded`);
    expect(json(baton(['status', child.id, '--json'], { cwd: root }).stdout)).toMatchObject({ status: 'succeeded', result: { times: 2 } });
  });

  it('skills show says how to run a skill: its inputs, as its entry declares them, and its outputs', () => {
    const root = project();
    const shown = baton(['skills', 'show', 'greet'], { cwd: root }).stdout;
    expect(shown).toContain('Run it: baton skill run greet --with name=value ...   (in a workflow: uses: greet)\ninputs\n  who    string, required\n  times  number, default 1\noutputs        text, times\n');
    const interfaceOf = JSON.parse(baton(['skills', 'show', 'greet', '--json'], { cwd: root }).stdout).interface;
    expect(interfaceOf).toMatchObject({ kind: 'workflow', inputs: { who: { type: 'string', required: true } }, outputs: ['text', 'times'] });
    expect(baton(['skills', 'show', 'notes'], { cwd: root }).stdout).toContain('Not runnable: instructions for an agent to read');
    expect(baton(['skills', 'show', 'flaky'], { cwd: root }).stdout).toContain('a script: its inputs are whatever it reads from INPUT_<NAME>');
  });

  it('an unknown skill, an unknown or missing input, a wrong literal: errors with line:col before anything runs', () => {
    const root = project();
    writeFileSync(path.join(root, 'bad.yaml'), 'name: bad\ntasks:\n  - id: a\n    uses: gret\n  - id: b\n    uses: greet\n    with: { whom: x, times: many }\n  - id: c\n    uses: notes\n');
    const v = baton(['validate', 'bad.yaml'], { cwd: root });
    expect(v.status).toBe(1);
    expect(v.stdout).toContain("bad.yaml:4:11: error SPEC_UNKNOWN_SKILL: no skill gret (did you mean 'greet'?)");
    expect(v.stdout).toContain("bad.yaml:7:5: error SPEC_SKILL_INPUT: skill greet needs 'who'");
    expect(v.stdout).toContain("bad.yaml:7:13: error SPEC_SKILL_INPUT: skill greet has no input 'whom' (did you mean 'who'?)");
    expect(v.stdout).toContain('bad.yaml:7:29: error SPEC_SKILL_INPUT: skill greet\'s input \'times\' is a number, and "many" is not a number');
    expect(v.stdout).toContain('bad.yaml:9:11: error SPEC_SKILL_NOT_RUNNABLE: skill notes has nothing to run');
    const r = baton(['run', 'bad.yaml'], { cwd: root });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nothing ran');
    expect(history(root)).toEqual([]);
  });

  it("a templated input of the wrong type fails the task at run time, naming the skill's input", () => {
    const root = project();
    writeFileSync(path.join(root, 'flow.yaml'), 'name: caller\ninputs: { n: many }\ntasks:\n  - id: hi\n    uses: greet\n    with: { who: x, times: "${ inputs.n }" }\n');
    const r = baton(['run', 'flow.yaml'], { cwd: root });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/skill greet: input "times" .*number/);
    // The child run never started.
    expect(history(root).map((h) => h.workflow)).toEqual(['caller']);
  });

  it("a task's retries go on with the same child run; `baton retry` of the caller starts a new one", () => {
    const root = project();
    const marker = path.join(root, 'marker');
    writeFileSync(path.join(root, 'flow.yaml'), `name: caller\ntasks:\n  - id: f\n    uses: flaky\n    with: { marker: ${JSON.stringify(marker)} }\n    retry: { attempts: 2, delay: 10ms }\n`);
    const first = baton(['run', 'flow.yaml'], { cwd: root });
    expect(first.status).toBe(1);
    // The caller sees the skill's own words, and the code of a failed child.
    expect(first.stdout).toMatch(/f: child run \w+ \(skill flaky\) failed: .*no marker yet.*\[RUN_CHILD_FAILED\]/);
    const children = () => history(root).filter((h) => h.workflow === 'flaky.sh');
    expect(children()).toHaveLength(1); // attempt 2 retried the child, did not start another
    writeFileSync(marker, '');
    const parent = history(root).find((h) => h.workflow === 'caller')!;
    const again = baton(['retry', parent.id], { cwd: root });
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(children()).toHaveLength(2);
    expect(children().map((c) => c.status).sort()).toEqual(['failed', 'succeeded']);
  });

  it("seed 002's agent: names a skill when no agent of that name is declared", () => {
    const root = project();
    writeFileSync(path.join(root, 'stages.yaml'), 'workflow:\n  name: staged\n  stages:\n    - name: greet-stage\n      agent: greet\nagents: {}\n');
    const v = baton(['validate', 'stages.yaml'], { cwd: root });
    expect(v.stdout).toContain("stages.yaml:5:7: error SPEC_SKILL_INPUT: skill greet needs 'who'");
    writeFileSync(path.join(root, 'stages.yaml'), 'workflow:\n  name: staged\n  stages:\n    - name: greet-stage\n      agent: gret\nagents: {}\n');
    expect(baton(['validate', 'stages.yaml'], { cwd: root }).stdout).toContain("error SPEC_UNKNOWN_AGENT: agent 'gret' is neither declared under `agents:` nor a skill (did you mean 'greet'?)");
  });
});

describe('ctx.skill and baton skill run inside a run', () => {
  it('a TypeScript workflow gets the outputs; an input the skill does not take fails the step, naming it', () => {
    const root = project();
    writeFileSync(path.join(root, 'flow.ts'), "import { workflow } from 'baton';\nexport default workflow({ name: 'ts' }, async (ctx) => {\n  const out = await ctx.skill('greet', { who: 'ts' });\n  return ctx.summary(`said ${out.text}`);\n});\n");
    const r = baton(['run', 'flow.ts', '--json'], { cwd: root });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).summary).toBe(`said hello ts x1 from greet in ${path.basename(root)}`);
    writeFileSync(path.join(root, 'bad.ts'), "import { workflow } from 'baton';\nexport default workflow({ name: 'ts' }, async (ctx) => { await ctx.skill('greet', { whom: 'x' }); });\n");
    const bad = baton(['run', 'bad.ts'], { cwd: root });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain('skill greet: unknown input "whom": it accepts: who, times [INPUT_UNKNOWN]');
  });

  it('a script: `baton skill run` is a step of the script\'s run, replayed (not run again) on a retry', () => {
    const root = project();
    const marker = path.join(root, 'marker');
    writeFileSync(path.join(root, 'script.sh'), '#!/bin/sh\nset -e\nout=$(baton skill run greet --with who=script --with times=3)\necho "skill said: $out" >> said.txt\n[ -f marker ] || exit 4\nbaton summary "$out"\n');
    const first = baton(['run', 'script.sh'], { cwd: root });
    expect(first.status).toBe(1);
    expect(existsSync(path.join(root, 'said.txt'))).toBe(true);
    writeFileSync(marker, '');
    const parent = history(root).find((h) => h.workflow === 'script.sh')!;
    const again = baton(['retry', parent.id, '--json'], { cwd: root });
    expect(again.status, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).summary).toBe('{"text":"hello script x3 from greet in ' + path.basename(root) + '","times":3}');
    // One child run: the retry got the step's recorded outputs back.
    expect(history(root).filter((h) => h.workflow === 'greet')).toHaveLength(1);
  });
});
