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
    expect(r.stdout).toBe('disk-check  Checks free disk space on a host. Use before a deploy.\nport-wait   Waits until a TCP port accepts connections.\n');
    const json = JSON.parse(baton(['skills', 'list', '--json'], { cwd: root }).stdout);
    expect(json.skills.map((s: { name: string }) => s.name)).toEqual(['disk-check', 'port-wait']);
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
});
