import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, tempDir } from './helpers.js';

/** A project folder (baton.config.yaml marks its root) with skills in skills/ and .agents/skills/. */
function project(skills: Record<string, string>) {
  const root = tempDir('baton-skills-cli-');
  writeFileSync(path.join(root, 'baton.config.yaml'), 'store: memory\n');
  for (const [where, text] of Object.entries(skills)) {
    mkdirSync(path.join(root, where), { recursive: true });
    writeFileSync(path.join(root, where, 'SKILL.md'), text);
  }
  return root;
}

describe('baton skills', () => {
  it("list: the project's skills from skills/ and .agents/skills/, from any folder inside the project", () => {
    const root = project({
      'skills/disk-check': '---\nname: disk-check\ndescription: Checks free disk space on a host. Use before a deploy.\n---\n',
      '.agents/skills/port-wait': '---\nname: port-wait\ndescription: Waits until a TCP port accepts connections.\n---\n',
    });
    mkdirSync(path.join(root, 'deep', 'er'), { recursive: true });
    const r = baton(['skills', 'list'], { cwd: path.join(root, 'deep', 'er') });
    expect(r.stderr).toBe('');
    // The project's first, then baton's built-in skills, marked as such.
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^disk-check +Checks free disk space on a host\. Use before a deploy\.$/);
    expect(lines[1]).toMatch(/^port-wait +Waits until a TCP port accepts connections\.$/);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines.slice(2)) expect(line).toMatch(/ \(built in\)$/);
    const json = JSON.parse(baton(['skills', 'list', '--json'], { cwd: root }).stdout);
    const own = json.skills.filter((s: { origin: string }) => s.origin !== 'built in');
    expect(own.map((s: { name: string; origin: string }) => [s.name, s.origin])).toEqual([['disk-check', 'the project'], ['port-wait', 'the project (.agents)']]);
  });

  it('validate: file:line:col problems, exit 1; the seed format is read with notes on making it portable, exit 0', () => {
    const root = project({
      'skills/bad': '---\nname: Bad Name\ndescription: x\n---\n',
      'skills/workflow-orchestrator': '---\nname: workflow-orchestrator\nintent: "Use this to compose skills."\ntags: ["core"]\n---\n',
    });
    const bad = baton(['skills', 'validate', 'skills/bad'], { cwd: root });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toContain(`${path.join(root, 'skills', 'bad', 'SKILL.md')}:2:7: error SKILL_NAME: name "Bad Name" is not a skill name`);
    expect(bad.stdout).toContain('hint: name: bad-name');
    const seed = baton(['skills', 'validate', 'skills/workflow-orchestrator'], { cwd: root });
    expect(seed.status).toBe(0);
    expect(seed.stdout).toMatch(/:3:1: warning SKILL_NOT_PORTABLE: `intent` is read as the description/);
    expect(seed.stdout).toMatch(/1 skill: valid \(2 warnings\)\n$/);
    const all = JSON.parse(baton(['skills', 'validate', '--json'], { cwd: root }).stdout);
    expect(all.valid).toBe(false);
    expect(all.checked.map((d: string) => path.basename(d))).toEqual(['bad', 'workflow-orchestrator']);
  });

  it('search ranks skills for a task; show prints one with its files; new scaffolds one that validates', () => {
    const root = project({
      'skills/k8s-crashloop-restart': '---\nname: k8s-crashloop-restart\ndescription: Restarts the pods of a deployment that are crash-looping (CrashLoopBackOff).\nmetadata:\n  tags: kubernetes, pods\n---\n# Restart\n\nRuns scripts/restart.sh.\n',
      'skills/wait-for-port': '---\nname: wait-for-port\ndescription: Waits until a TCP port accepts connections.\n---\n',
    });
    mkdirSync(path.join(root, 'skills', 'k8s-crashloop-restart', 'scripts'));
    writeFileSync(path.join(root, 'skills', 'k8s-crashloop-restart', 'scripts', 'restart.sh'), '#!/bin/sh\n');
    const found = baton(['skills', 'search', 'restart', 'crashing', 'pods'], { cwd: root });
    expect(found.stdout.split('\n')[0]).toMatch(/^k8s-crashloop-restart {2}Restarts the pods/);
    expect(found.stdout).not.toContain('wait-for-port');
    const json = JSON.parse(baton(['skills', 'search', 'port', '--json'], { cwd: root }).stdout);
    // The project's wait-for-port overrides the built-in one of the same name, and says so.
    expect(json.skills[0]).toMatchObject({ name: 'wait-for-port', dir: path.join(root, 'skills', 'wait-for-port') });
    expect(json.skills.filter((s: { name: string }) => s.name === 'wait-for-port')).toHaveLength(1);
    const listed = baton(['skills', 'list'], { cwd: root });
    expect(listed.stderr).toContain(`baton: note: skill wait-for-port from the project (${path.join(root, 'skills', 'wait-for-port')}) overrides the built-in one`);
    const total = JSON.parse(baton(['skills', 'list', '--json'], { cwd: root }).stdout).skills.length;
    expect(baton(['skills', 'search', 'quantum'], { cwd: root }).stdout).toBe(`No skill matches "quantum" (${total} skills searched; see them with baton skills list)\n`);

    const shown = baton(['skills', 'show', 'k8s-crashloop-restart'], { cwd: root });
    expect(shown.stdout).toContain('files          scripts/restart.sh');
    expect(shown.stdout).toContain('metadata.tags  kubernetes, pods');
    expect(shown.stdout).toMatch(/# Restart\n\nRuns scripts\/restart.sh.\n$/);
    const missing = baton(['skills', 'show', 'wait-for-prot'], { cwd: root });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no skill wait-for-prot \(did you mean .*wait-for-port.*\).*\[SKILL_NOT_FOUND\]/);

    expect(baton(['skills', 'new', 'disk-check', '--description', 'Checks free disk space. Use before a deploy.'], { cwd: root }).status).toBe(0);
    expect(baton(['skills', 'validate', 'skills/disk-check'], { cwd: root }).stdout).toBe('1 skill: valid\n');
    expect(baton(['skills', 'new', 'disk-check'], { cwd: root }).stderr).toMatch(/already exists.*\[SKILL_EXISTS\]/);
    expect(baton(['skills', 'new', 'Disk Check'], { cwd: root }).stderr).toMatch(/not a skill name.*try disk-check.*\[SKILL_NAME\]/);
  });

  it("skill run: a workflow entry gets --with as its typed inputs, a script entry as INPUT_ variables; both run in the current folder", () => {
    const root = project({
      'skills/greet': '---\nname: greet\ndescription: Greets someone.\nmetadata:\n  baton.entry: workflow.yaml\n---\n',
      'skills/count-files': '---\nname: count-files\ndescription: Counts the files of a folder.\nmetadata:\n  baton.entry: scripts/count.sh\n---\n',
      'skills/read-only': '---\nname: read-only\ndescription: Instructions only.\n---\n',
      'skills/lost-entry': '---\nname: lost-entry\ndescription: Its entry is missing.\nmetadata:\n  baton.entry: nowhere.yaml\n---\n',
    });
    writeFileSync(path.join(root, 'skills', 'greet', 'workflow.yaml'), 'name: greet\ninputs:\n  who: {type: string}\n  times: {type: number, default: 1}\ntasks:\n  - id: say\n    command: echo "hello ${{ inputs.who }} x${{ inputs.times }} in $(pwd) from $(basename $BATON_SKILL_DIR)"\n');
    mkdirSync(path.join(root, 'skills', 'count-files', 'scripts'));
    writeFileSync(path.join(root, 'skills', 'count-files', 'scripts', 'count.sh'), '#!/bin/sh\nset -e\nn=$(baton step count -- sh -c "ls -1 $INPUT_DIR | wc -l")\nbaton summary "$INPUT_DIR has $(echo $n) files"\n');
    mkdirSync(path.join(root, 'data'));
    writeFileSync(path.join(root, 'data', 'a'), '');
    writeFileSync(path.join(root, 'data', 'b'), '');
    const greet = baton(['skill', 'run', 'greet', '--with', 'who=ops', '--with', 'times=2', '--json'], { cwd: root });
    expect(greet.status).toBe(0);
    expect(JSON.parse(greet.stdout).tasks[0].outputs.stdout).toBe(`hello ops x2 in ${root} from greet`);
    const badInput = baton(['skill', 'run', 'greet', '--with', 'who=ops', '--with', 'times=many'], { cwd: root });
    expect(badInput.status).toBe(2);
    expect(badInput.stderr).toMatch(/input "times" must be a number/);
    const count = baton(['skill', 'run', 'count-files', '--with', 'dir=data', '--json'], { cwd: root });
    expect(JSON.parse(count.stdout).summary).toBe('data has 2 files');
    expect(baton(['skill', 'run', 'read-only'], { cwd: root }).stderr).toMatch(/no entry to run.*\[SKILL_NOT_RUNNABLE\]/);
    expect(baton(['skill', 'run', 'lost-entry'], { cwd: root }).stderr).toMatch(/SKILL_ENTRY: the skill's entry nowhere.yaml/);
    expect(baton(['skills', 'validate', 'skills/lost-entry'], { cwd: root }).status).toBe(1);
  });
});
