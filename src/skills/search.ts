/**
 * `baton skills search`: skills ranked for a few words of a task ("restart crashing pods"),
 * over their name, tags, description and instructions, so a person or an agent finds the
 * pieces before composing them. minisearch keeps the index; words are matched by their
 * stem (crashing, crash), by prefix, and with a typo's tolerance.
 */
import MiniSearch from 'minisearch';
import type { Skill } from './skill-file.js';

export interface SkillHit {
  skill: Skill;
  score: number;
  /** The query's words found, and where (`restart: name, description`). */
  matched: Record<string, string[]>;
}

/** Fields searched and how much a word found in each counts. */
const BOOST = { name: 3, tags: 2.5, description: 2, body: 1 };

/** The skills of a catalog, indexed once and searched many times. */
export class SkillIndex {
  private readonly index = new MiniSearch<{ id: number; name: string; tags: string; description: string; body: string }>({
    fields: ['name', 'tags', 'description', 'body'],
    tokenize: (text) => text.split(/[^\p{L}\p{N}]+/u).filter((word) => word !== ''),
    processTerm: (term) => stem(term.toLowerCase()),
  });

  constructor(private readonly skills: readonly Skill[]) {
    this.index.addAll(skills.map((skill, id) => ({ id, name: skill.name, tags: skill.tags.join(' '), description: skill.description, body: skill.body })));
  }

  search(query: string, limit = 10): SkillHit[] {
    const hits = this.index.search(query, { boost: BOOST, prefix: (term) => term.length >= 3, fuzzy: (term) => (term.length >= 5 ? 0.2 : false), combineWith: 'OR' });
    return hits.slice(0, limit).map((hit) => ({ skill: this.skills[hit.id as number], score: hit.score, matched: hit.match }));
  }
}

/** One search over `skills` (the index is built for it). */
export function searchSkills(skills: readonly Skill[], query: string, limit = 10): SkillHit[] {
  return new SkillIndex(skills).search(query, limit);
}

/** A light English stemmer: enough that restarting, restarts and restarted meet restart, pods pod. */
export function stem(word: string): string {
  if (word.length <= 3) return word;
  if (word.endsWith('ing') && word.length >= 7) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length >= 6) return word.slice(0, -2);
  // boxes, processes, patches: -es after a hissing sound; files, pods: -s.
  if (/(s|x|z|ch|sh)es$/.test(word) && word.length >= 5) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}
