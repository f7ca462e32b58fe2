import { describe, expect, it } from 'vitest';
import { parseSkillFile, type Skill } from './skill-file.js';
import { searchSkills, stem } from './search.js';

function skill(name: string, description: string, tags = '', body = ''): Skill {
  const text = `---\nname: ${name}\ndescription: "${description}"\n${tags ? `metadata:\n  tags: "${tags}"\n` : ''}---\n${body}\n`;
  const { skill, diagnostics } = parseSkillFile(`/s/${name}/SKILL.md`, text, name, `/s/${name}`);
  if (!skill) throw new Error(JSON.stringify(diagnostics));
  return skill;
}

const SKILLS = [
  skill('k8s-crashloop-restart', 'Restarts the pods of a deployment that are crash-looping (CrashLoopBackOff), one at a time.', 'kubernetes, k8s, pods'),
  skill('k8s-rollout-restart', 'Rolls a deployment: every pod replaced, waiting for readiness.', 'kubernetes, deploy'),
  skill('http-health-check', 'Checks that a URL answers with the expected status, with retries; reports latency.', 'http, health'),
  skill('find-errors', 'Groups the ERROR lines of a large log by error type, with counts and first and last times.', 'logs, triage', 'Streams the file: a 1 GB log uses little memory.'),
  skill('wait-for-port', 'Waits until a TCP port accepts connections.', 'network'),
];

describe('skill search', () => {
  it('finds the skill for a task in other words: "restart crashing pods"', () => {
    const hits = searchSkills(SKILLS, 'restart crashing pods');
    expect(hits[0].skill.name).toBe('k8s-crashloop-restart');
    expect(hits.map((h) => h.skill.name)).toContain('k8s-rollout-restart');
    expect(hits.map((h) => h.skill.name)).not.toContain('wait-for-port');
  });

  it('ranks name and tags above the body, matches prefixes and typos', () => {
    expect(searchSkills(SKILLS, 'triage logs')[0].skill.name).toBe('find-errors');
    expect(searchSkills(SKILLS, 'health')[0].skill.name).toBe('http-health-check');
    expect(searchSkills(SKILLS, 'laten')[0].skill.name).toBe('http-health-check');
    expect(searchSkills(SKILLS, 'conections')[0].skill.name).toBe('wait-for-port');
    expect(searchSkills(SKILLS, 'memory')[0].skill.name).toBe('find-errors');
    expect(searchSkills(SKILLS, 'quantum entanglement')).toEqual([]);
  });

  it('stems plurals and verb forms', () => {
    expect(['restarting', 'restarts', 'restarted', 'restart'].map(stem)).toEqual(['restart', 'restart', 'restart', 'restart']);
    expect(['pods', 'processes', 'boxes', 'files', 'class', 'status'].map(stem)).toEqual(['pod', 'process', 'box', 'file', 'class', 'status']);
  });
});
