import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog, validateSkills } from './catalog.js';
import { parseSkillFile, suggestName } from './skill-file.js';

const parse = (text: string, folder = 'pod-restart') => parseSkillFile(`/s/${folder}/SKILL.md`, text, folder, `/s/${folder}`);
const codes = (text: string, folder?: string) => parse(text, folder).diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.col}`);

describe('SKILL.md (Agent Skills format)', () => {
  it('reads a standard skill: name, description, license, compatibility, metadata, allowed-tools, body', () => {
    const { skill, diagnostics } = parse(`---
name: pod-restart
description: Restarts crash-looping pods of a deployment. Use when pods are in CrashLoopBackOff.
license: MIT
compatibility: needs kubectl
metadata:
  tags: k8s, restart
  author: sre
allowed-tools: Bash(kubectl:*) Read
---
# Pod restart

Run scripts/restart.sh.
`);
    expect(diagnostics).toEqual([]);
    expect(skill).toMatchObject({
      name: 'pod-restart',
      description: 'Restarts crash-looping pods of a deployment. Use when pods are in CrashLoopBackOff.',
      license: 'MIT',
      compatibility: 'needs kubectl',
      metadata: { tags: 'k8s, restart', author: 'sre' },
      tags: ['k8s', 'restart'],
      allowedTools: ['Bash(kubectl:*)', 'Read'],
      body: '# Pod restart\n\nRun scripts/restart.sh.',
    });
  });

  it("enforces the standard's name rules and the folder name, with a suggestion", () => {
    expect(codes('---\nname: Pod Restart\ndescription: x\n---\n')).toEqual(['error SKILL_NAME 2:7']);
    expect(parse('---\nname: Pod Restart\ndescription: x\n---\n').diagnostics[0].hint).toBe('name: pod-restart');
    for (const bad of ['-pod', 'pod-', 'pod--restart', 'a'.repeat(65), 'pod_restart']) {
      expect(codes(`---\nname: "${bad}"\ndescription: x\n---\n`, bad)[0]).toMatch(/^error SKILL_NAME /);
    }
    expect(codes('---\nname: other\ndescription: x\n---\n')).toEqual(['error SKILL_NAME_FOLDER 2:7']);
    expect(codes('---\ndescription: x\n---\n')).toEqual(['error SKILL_NAME 2:1']);
  });

  it('requires a description of 1 to 1024 characters', () => {
    expect(codes('---\nname: pod-restart\n---\n')).toEqual(['error SKILL_DESCRIPTION 2:1']);
    expect(codes(`---\nname: pod-restart\ndescription: "${'x'.repeat(1025)}"\n---\n`)).toEqual(['error SKILL_DESCRIPTION 3:14']);
  });

  it('refuses fields the standard does not have, and types it does not allow', () => {
    expect(codes('---\nname: pod-restart\ndescription: x\nowner: me\n---\n')).toEqual(['error SKILL_UNKNOWN_FIELD 4:1']);
    expect(codes('---\nname: pod-restart\ndescription: x\nmetadata:\n  retries: 3\n---\n')).toEqual(['error SKILL_FIELD_TYPE 5:3']);
    expect(codes('---\nname: pod-restart\ndescription: [a, b]\n---\n')).toEqual(['error SKILL_FIELD_TYPE 3:14']);
  });

  it("reads the seeds' fields, mapped onto the standard, with a note on each", () => {
    const { skill, diagnostics } = parse(
      `---
name: workflow-orchestrator
tags: ["core", "composition"]
intent: "Use this when a task requires combining multiple skills."
script_first: true
version: "1.0.0"
languages: ["python", "bash"]
---
# Workflow Orchestrator
`,
      'workflow-orchestrator',
    );
    expect(diagnostics.every((d) => d.severity === 'warning' && d.code === 'SKILL_NOT_PORTABLE')).toBe(true);
    expect(diagnostics.map((d) => d.line)).toEqual([3, 4, 5, 6, 7]);
    expect(skill).toMatchObject({
      description: 'Use this when a task requires combining multiple skills.',
      tags: ['core', 'composition'],
      metadata: { tags: 'core, composition', script_first: 'true', version: '1.0.0', languages: 'python, bash' },
    });
  });

  it('says where the front matter is missing or broken', () => {
    expect(codes('# just markdown\n')).toEqual(['error SKILL_NO_FRONT_MATTER 1:1']);
    expect(codes('---\nname: [unclosed\n---\n')[0]).toMatch(/^error SKILL_YAML 2:/);
  });

  it('suggests a name from any text', () => {
    expect(suggestName('Workflow Orchestrator')).toBe('workflow-orchestrator');
    expect(suggestName('  --K8s: CrashLoop Restart!! ')).toBe('k8s-crashloop-restart');
    expect(suggestName('日本')).toBe('my-skill');
  });
});

describe('skill catalog', () => {
  it('finds skills in its folders; an earlier one hides a later one of the same name; a broken one is reported and left out', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'baton-skills-'));
    const write = (dir: string, text: string) => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'SKILL.md'), text);
    };
    write(path.join(root, 'skills', 'disk-check'), '---\nname: disk-check\ndescription: Checks disks.\n---\n');
    write(path.join(root, 'skills', 'broken'), '---\nname: other\ndescription: x\n---\n');
    write(path.join(root, 'agents', 'disk-check'), '---\nname: disk-check\ndescription: Another.\n---\n');
    write(path.join(root, 'agents', 'port-wait'), '---\nname: port-wait\ndescription: Waits for a port.\n---\n');
    mkdirSync(path.join(root, 'skills', 'not-a-skill'));
    const catalog = loadCatalog([
      { dir: path.join(root, 'skills'), origin: 'project' },
      { dir: path.join(root, 'agents'), origin: 'agents' },
      { dir: path.join(root, 'missing'), origin: 'none' },
    ]);
    expect(catalog.skills.map((s) => [s.name, s.description])).toEqual([
      ['disk-check', 'Checks disks.'],
      ['port-wait', 'Waits for a port.'],
    ]);
    expect(catalog.hidden).toEqual([{ name: 'disk-check', dir: path.join(root, 'agents', 'disk-check'), origin: 'agents', by: path.join(root, 'skills', 'disk-check'), byOrigin: 'project' }]);
    expect(catalog.diagnostics.map((d) => d.code)).toEqual(['SKILL_NAME_FOLDER']);
    expect(validateSkills(path.join(root, 'skills')).checked.map((d) => path.basename(d))).toEqual(['broken', 'disk-check']);
    expect(validateSkills(path.join(root, 'skills', 'disk-check')).diagnostics).toEqual([]);
    expect(validateSkills(path.join(root, 'nope')).diagnostics[0].code).toBe('SKILL_NOT_FOUND');
  });
});
