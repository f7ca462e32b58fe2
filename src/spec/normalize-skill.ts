/**
 * A skill task: `uses: <skill>` with `with: {...}`. The spec layer reads no skill folders
 * itself: whoever loads the file may pass a lookup (LoadOptions.skills), and then an
 * unknown skill, a skill with nothing to run, an input it does not declare, a required
 * input left out or a literal of the wrong type is reported here, with its line:col,
 * before anything runs. Without a lookup, the run checks them when the task starts.
 */
import type { Reporter } from './diagnostics.js';
import type { InputSpec, SkillTask, TaskBase } from './model.js';
import type { LeafContext } from './normalize-leaf.js';
import { missing } from './normalize-leaf.js';
import { has, isMap, str } from './raw.js';
import type { RawMap } from './raw.js';
import { didYouMean } from './suggest.js';

/** What the loader knows of a skill. */
export interface SkillInfo {
  /** It has an entry baton can run (metadata baton.entry). */
  runnable: boolean;
  /** The inputs its entry declares, when known (a workflow file's `inputs:`); undefined: not checked here. */
  inputs?: Record<string, InputSpec>;
}

/** The skills a workflow may use, by name. */
export interface SkillLookup {
  find(name: string): SkillInfo | undefined;
  /** Every name, for did-you-mean. */
  names(): string[];
}

/** The standard's name rule (skills/skill-file.ts): 1-64 lowercase letters, digits and single hyphens. */
const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

export function skillTask(base: TaskBase, raw: RawMap, ctx: LeafContext): SkillTask {
  const { rep } = ctx;
  const name = str(raw, 'uses');
  if (!has(raw, 'uses')) missing(rep, raw, 'a skill task', 'uses', 'the name of the skill to run: baton skills list shows them');
  const given = isMap(raw.with) ? (raw.with as RawMap) : {};
  ctx.exprs.deep(raw, 'with');
  const task: SkillTask = { ...base, type: 'skill', skill: name ?? '', with: { ...given } };
  if (name === undefined) return task;
  if (!NAME.test(name) || name.length > 64) {
    rep.error('SPEC_INVALID_VALUE', `'${name}' is not a skill name: lowercase letters, digits and single hyphens`, rep.value(raw, 'uses'), 'e.g. uses: http-health-check');
    return task;
  }
  if (ctx.skills !== undefined) checkSkill(name, given, raw, ctx.skills, rep);
  return task;
}

function checkSkill(name: string, given: RawMap, raw: RawMap, skills: SkillLookup, rep: Reporter): void {
  const info = skills.find(name);
  if (info === undefined) {
    rep.error('SPEC_UNKNOWN_SKILL', `no skill ${name}${didYouMean(name, skills.names())}`, rep.value(raw, 'uses'), 'see the skills with `baton skills list`, find one with `baton skills search <words>`, or write one with `baton skills new`');
    return;
  }
  if (!info.runnable) {
    rep.error('SPEC_SKILL_NOT_RUNNABLE', `skill ${name} has nothing to run: it is instructions for an agent to read`, rep.value(raw, 'uses'), `give it an entry (metadata baton.entry in its SKILL.md), or read it with baton skills show ${name}`);
    return;
  }
  const declared = info.inputs;
  if (declared === undefined) return;
  checkGivenInputs({ what: `skill ${name}`, code: 'SPEC_SKILL_INPUT', declared, given, raw, field: 'with', anchor: 'uses' }, rep);
}

/** Inputs given to a child run (a skill's `with`, a workflow task's `inputs`), against what it declares. */
export interface GivenInputs {
  /** What takes them, in messages: `skill greet`, `workflow deploy.yaml`. */
  what: string;
  code: string;
  declared: Record<string, InputSpec>;
  given: RawMap;
  /** The task, and its field holding them (`with`, `inputs`), or the field to point at when that is absent. */
  raw: RawMap;
  field: string;
  anchor: string;
}

/** Inputs it does not declare, literals of the wrong type, required ones left out: each an error at its line:col. */
export function checkGivenInputs(c: GivenInputs, rep: Reporter): void {
  const { what, code, declared, given, raw } = c;
  const names = Object.keys(declared);
  for (const [key, value] of Object.entries(given)) {
    const spec = declared[key];
    if (spec === undefined) {
      const accepts = names.length > 0 ? `it accepts: ${names.join(', ')}` : 'it declares no inputs';
      rep.error(code, `${what} has no input '${key}'${didYouMean(key, names)}`, rep.key(given, key), accepts);
      continue;
    }
    const wrong = literalMismatch(spec, value);
    if (wrong !== undefined) rep.error(code, `${what}'s input '${key}' is a ${spec.type}, and ${wrong}`, rep.value(given, key), spec.description);
  }
  const left = names.filter((key) => declared[key].required && !Object.hasOwn(given, key));
  if (left.length > 0) {
    const at = has(raw, c.field) ? rep.key(raw, c.field) : rep.key(raw, c.anchor);
    rep.error(code, `${what} needs ${left.map((k) => `'${k}'`).join(', ')}${left.length === 1 ? '' : ' (all required)'}`, at, `add under \`${c.field}:\`: ${left.map((k) => `${k}: ...`).join(', ')}`);
  }
}

/** Why a literal (no `${ }`) cannot be the declared type, as the run would coerce it; undefined if it can. */
function literalMismatch(spec: InputSpec, value: unknown): string | undefined {
  if (typeof value === 'string' && value.includes('${')) return undefined;
  switch (spec.type) {
    case 'number':
      if (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))) return undefined;
      return `${JSON.stringify(value)} is not a number`;
    case 'boolean':
      if (typeof value === 'boolean' || value === 'true' || value === 'false') return undefined;
      return `${JSON.stringify(value)} is not true or false`;
    case 'string':
      return value !== null && typeof value === 'object' ? 'a mapping or a list is not a string' : undefined;
    default:
      return undefined;
  }
}
