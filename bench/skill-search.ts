/**
 * Skill search over a large catalog (issue 9: p50 per query under 5 ms over 1,000 skills):
 * generated skills with realistic names, tags and descriptions, indexed once, then a mix of
 * task-like queries; also the time to build the index, which `baton skills search` pays
 * once per call.
 */
import { parseSkillFile, type Skill } from '../src/skills/skill-file.js';
import { SkillIndex } from '../src/skills/search.js';

const VERBS = ['restart', 'check', 'rotate', 'backup', 'restore', 'scale', 'drain', 'deploy', 'rollback', 'verify', 'clean', 'sync'];
const THINGS = ['pods', 'certificates', 'database', 'disk', 'queue', 'cache', 'nodes', 'dns', 'logs', 'ingress', 'secrets', 'volumes'];
const WHERE = ['k8s', 'aws', 'gcp', 'postgres', 'redis', 'nginx', 'kafka', 'vault', 'linux', 'docker'];

function skill(i: number): Skill {
  const verb = VERBS[i % VERBS.length];
  const thing = THINGS[Math.floor(i / VERBS.length) % THINGS.length];
  const where = WHERE[Math.floor(i / (VERBS.length * THINGS.length)) % WHERE.length];
  const name = `${where}-${verb}-${thing}-${i}`;
  const description = `${verb[0].toUpperCase()}${verb.slice(1)}s the ${thing} of a ${where} environment, one at a time, and reports what changed. Use when ${thing} misbehave or before a maintenance window.`;
  const text = `---\nname: ${name}\ndescription: "${description}"\nmetadata:\n  tags: "${where}, ${thing}, ${verb}"\n---\n# ${name}\n\nSteps: find the ${thing}, ${verb} them, verify health, summarise.\n`;
  return parseSkillFile(`/bench/${name}/SKILL.md`, text, name, `/bench/${name}`).skill!;
}

const QUERIES = ['restart crashing pods', 'rotate expiring certificates', 'backup postgres database', 'disk full on linux', 'scale kafka queue', 'dns not resolving', 'clean old docker volumes', 'rollback failed deploy'];

export function skillSearchFigures(count = 1000, queries = 400): { p50Ms: number; p95Ms: number; indexMs: number } {
  const skills = Array.from({ length: count }, (_, i) => skill(i));
  const started = performance.now();
  const index = new SkillIndex(skills);
  const indexMs = performance.now() - started;
  for (let i = 0; i < 50; i++) index.search(QUERIES[i % QUERIES.length]); // warm-up
  const times: number[] = [];
  for (let i = 0; i < queries; i++) {
    const t0 = performance.now();
    const hits = index.search(QUERIES[i % QUERIES.length]);
    times.push(performance.now() - t0);
    if (hits.length === 0) throw new Error(`no hit for "${QUERIES[i % QUERIES.length]}": the index is broken`);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: times[Math.floor(times.length / 2)], p95Ms: times[Math.floor(times.length * 0.95)], indexMs };
}
