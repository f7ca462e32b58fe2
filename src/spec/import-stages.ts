/**
 * The `workflow.stages` format (seed 002) -> the canonical shape, positions kept. See
 * docs/decisions/0002-stages-import.md for the reasoning; in short:
 *
 * - Each stage becomes a task whose id is the stage name. Stages run in file order (each
 *   waits for the one before), except stages named by a conditional's on_true/on_false:
 *   those wait for the conditional and get its condition (on_false: negated). A stage
 *   right after such branch stages waits for them, and runs unless one failed.
 * - sequential: one agent is one task; several are a parallel group whose tasks wait for
 *   each other in order. parallel: a parallel group (merge_condition -> wait_for).
 *   conditional: a noop marking the decision.
 * - An agent is a task definition under the top-level `agents:` map (skills will supply
 *   agents later). Agent tasks in a group get ids `<stage>.<agent>`.
 * - A bare-word condition (`all_data_valid`) is an output of the stage before the
 *   conditional: true when one of that stage's agent tasks output it as true or 'true'.
 * - on_true/on_false may name an agent instead of a stage: it becomes a one-agent stage.
 */
import type { Reporter } from './diagnostics.js';
import { checkConditionAt } from './exprs.js';
import { StagesFile, WORKFLOW_FIELDS } from './import-stages-schema.js';
import { has, isMap, str } from './raw.js';
import type { RawMap } from './raw.js';
import type { SkillLookup } from './normalize-skill.js';
import { didYouMean } from './suggest.js';
import { reportIssues } from './zod-issues.js';

/** The canonical format has no `workflow` key, so a `workflow:` mapping means this format. */
export function isStagesFile(raw: RawMap): boolean {
  return isMap(raw.workflow);
}

interface Target {
  conditional: RawMap;
  branch: 'on_true' | 'on_false';
}

const STAGE_TYPES = ['sequential', 'parallel', 'conditional'];
const KNOWN_WORDS = new Set(['true', 'false', 'null', 'env', 'inputs', 'tasks', 'run', 'workflow', 'secrets']);

export function importStages(raw: RawMap, rep: Reporter, skills?: SkillLookup): RawMap {
  const checked = StagesFile.safeParse(raw);
  if (!checked.success) reportIssues(checked.error.issues, raw, rep);
  const { index } = rep;
  const workflow = raw.workflow as RawMap;
  const agents = isMap(raw.agents) ? raw.agents : {};
  const out = index.derive<RawMap>({}, workflow);
  index.put(out, 'name', workflow.name, workflow, 'name');
  for (const field of WORKFLOW_FIELDS) if (has(workflow, field)) index.put(out, field, workflow[field], workflow, field);
  for (const [name, def] of Object.entries(agents)) {
    if (!isMap(def)) continue;
    for (const field of ['id', 'depends_on']) {
      if (has(def, field)) rep.error('SPEC_FIELD_NOT_ALLOWED', `an agent cannot have \`${field}\`: the stage that uses it decides`, rep.key(def, field), `remove \`${field}\` from agent '${name}'`);
    }
  }
  const stagesList = Array.isArray(workflow.stages) ? workflow.stages : [];
  const stages = stagesList.filter((s): s is RawMap => isMap(s) && typeof s.name === 'string');
  const byName = new Map(stages.map((s) => [s.name as string, s]));
  const used = new Set<string>();
  const tasks = index.derive<unknown[]>([], stagesList);
  const add = (task: RawMap): void => index.put(tasks, tasks.length, task, task);

  // Who targets whom; targets that name an agent become one-agent stages, placed last.
  const targets = new Map<RawMap, Target>();
  const extra: RawMap[] = [];
  for (const stage of stages) {
    for (const branch of ['on_true', 'on_false'] as const) {
      const name = str(stage, branch);
      if (name === undefined) continue;
      let target = byName.get(name);
      if (target === undefined && isMap(agents[name])) {
        target = index.derive<RawMap>({}, stage);
        index.put(target, 'name', name, stage, branch);
        index.put(target, 'agent', name, stage, branch);
        byName.set(name, target);
        extra.push(target);
      }
      if (target === undefined) {
        rep.error('SPEC_UNKNOWN_STAGE', `${branch} names '${name}', which is neither a stage of this workflow nor an agent under \`agents:\`${didYouMean(name, [...byName.keys(), ...Object.keys(agents)])}`, rep.value(stage, branch));
      } else if (targets.has(target)) {
        rep.error('SPEC_INVALID_VALUE', `stage '${name}' is already the ${targets.get(target)!.branch} of '${String(targets.get(target)!.conditional.name)}'; a stage can follow one conditional only`, rep.value(stage, branch));
      } else targets.set(target, { conditional: stage, branch });
    }
  }

  const conditions = new Map(stages.filter((s) => has(s, 'condition')).map((s) => [s, conditionOf(s, stages, rep)]));
  const all = [...stages, ...extra];
  all.forEach((stage, i) => {
    const task = stageTask(stage, agents, used, rep, skills);
    const target = targets.get(stage);
    if (target !== undefined) {
      index.put(task, 'depends_on', list(rep, [target.conditional.name], target.conditional, target.branch), target.conditional, target.branch);
      const condition = conditions.get(target.conditional);
      if (condition !== undefined) {
        const text = target.branch === 'on_true' || !condition.valid ? condition.text : `!(${condition.text})`;
        index.put(task, 'condition', text, target.conditional, 'condition');
      }
    } else if (i > 0 && i < stages.length) {
      const block: RawMap[] = [];
      for (let j = i - 1; j >= 0 && targets.has(stages[j]); j--) block.unshift(stages[j]);
      const previous = block.length > 0 ? block : [stages[i - 1]];
      index.put(task, 'depends_on', list(rep, previous.map((s) => s.name), stage), stage);
      // After branch stages, one of which was skipped: go on unless something failed.
      if (block.length > 0) index.put(task, 'condition', '!failure() && !cancelled()', stage);
    }
    add(task);
  });
  for (const name of Object.keys(agents)) {
    if (!used.has(name)) rep.warning('SPEC_UNUSED_AGENT', `agent '${name}' is not used by any stage`, rep.key(agents, name));
  }
  index.put(out, 'tasks', tasks, workflow, 'stages');
  return out;
}

function list(rep: Reporter, values: unknown[], src: object, key?: string): unknown[] {
  const out = rep.index.derive<unknown[]>([], src);
  values.forEach((v, i) => rep.index.put(out, i, v, src, key));
  return out;
}

function stageTask(stage: RawMap, agents: RawMap, used: Set<string>, rep: Reporter, skills: SkillLookup | undefined): RawMap {
  const { index } = rep;
  const name = stage.name as string;
  const declared = str(stage, 'type');
  // An unknown type was reported by the schema; go by the fields, to avoid follow-on errors.
  const type = declared !== undefined && STAGE_TYPES.includes(declared) ? declared : has(stage, 'branches') ? 'parallel' : has(stage, 'condition') ? 'conditional' : 'sequential';
  const refs: Array<{ agent: string; container: object; key: string | number }> = [];
  if (type === 'parallel') {
    const branches = Array.isArray(stage.branches) ? stage.branches : [];
    branches.forEach((b) => isMap(b) && typeof b.agent === 'string' && refs.push({ agent: b.agent, container: b, key: 'agent' }));
    if (!has(stage, 'branches')) rep.error('SPEC_MISSING_FIELD', 'a parallel stage needs `branches`', rep.value(stage), 'e.g. branches: [{agent: a}, {agent: b}]');
  } else if (type === 'sequential') {
    if (typeof stage.agent === 'string') refs.push({ agent: stage.agent, container: stage, key: 'agent' });
    const names = Array.isArray(stage.agents) ? stage.agents : [];
    names.forEach((a, i) => typeof a === 'string' && refs.push({ agent: a, container: names, key: i }));
    if (!has(stage, 'agents') && !has(stage, 'agent')) rep.error('SPEC_MISSING_FIELD', 'a sequential stage needs `agents`', rep.value(stage), 'e.g. agents: [a, b]');
  } else {
    if (!has(stage, 'condition')) rep.error('SPEC_MISSING_FIELD', 'a conditional stage needs `condition`', rep.value(stage));
    if (!has(stage, 'on_true') && !has(stage, 'on_false')) rep.error('SPEC_MISSING_FIELD', 'a conditional stage needs `on_true` or `on_false`', rep.value(stage));
    const task = index.derive<RawMap>({}, stage);
    index.put(task, 'id', name, stage, 'name');
    index.put(task, 'type', 'noop', stage, 'type');
    return task;
  }
  const seen = new Map<string, number>();
  const children = refs.map((ref) => {
    const count = (seen.get(ref.agent) ?? 0) + 1;
    seen.set(ref.agent, count);
    const id = refs.length === 1 ? name : `${name}.${ref.agent}${count > 1 ? `.${count}` : ''}`;
    used.add(ref.agent);
    return agentTask(ref, id, agents, rep, skills);
  });
  if (children.length === 1) return children[0];
  if (type === 'sequential') {
    children.forEach((child, i) => i > 0 && index.put(child, 'depends_on', list(rep, [children[i - 1].id], child), child));
  }
  const group = index.derive<RawMap>({}, stage);
  index.put(group, 'id', name, stage, 'name');
  index.put(group, 'name', `${name} (${type})`, stage, 'name');
  index.put(group, 'type', 'parallel', stage, 'type');
  const merge = str(stage, 'merge_condition');
  if (merge !== undefined) index.put(group, 'wait_for', merge.replace('_complete', ''), stage, 'merge_condition');
  index.put(group, 'tasks', list(rep, children, stage, type === 'parallel' ? 'branches' : 'agents'), stage, type === 'parallel' ? 'branches' : 'agents');
  return group;
}

/**
 * A copy of the agent's task definition, with the id the stage gives it. An agent not
 * declared under `agents:` is a skill of that name (seed 002's agents are skills): the task
 * `uses:` it. With the skills known (LoadOptions.skills), one that is neither is reported here.
 */
function agentTask(ref: { agent: string; container: object; key: string | number }, id: string, agents: RawMap, rep: Reporter, skills: SkillLookup | undefined): RawMap {
  const { index } = rep;
  const def = agents[ref.agent];
  const task = index.derive<RawMap>({}, isMap(def) ? def : ref.container);
  if (isMap(def)) {
    for (const key of Object.keys(def)) if (key !== 'id' && key !== 'depends_on') index.put(task, key, def[key], def, key);
    if (!has(def, 'name')) index.put(task, 'name', ref.agent, ref.container, ref.key);
  } else if (skills === undefined || skills.find(ref.agent) !== undefined) {
    index.put(task, 'uses', ref.agent, ref.container, ref.key);
    index.put(task, 'name', ref.agent, ref.container, ref.key);
  } else {
    const hint = 'declare it under the top-level `agents:` map, e.g. agents: { ' + ref.agent + ': { command: "..." } }, or add a skill of that name (baton skills new ' + ref.agent + ')';
    const known = [...Object.keys(agents), ...skills.names()];
    rep.error('SPEC_UNKNOWN_AGENT', `agent '${ref.agent}' is neither declared under \`agents:\` nor a skill${didYouMean(ref.agent, known)}`, rep.value(ref.container, ref.key), hint);
    index.put(task, 'type', 'noop', ref.container, ref.key);
  }
  index.put(task, 'id', id, ref.container, ref.key);
  return task;
}

/** The condition as an expression; `valid` is false when it has syntax errors (reported here, once). */
function conditionOf(conditional: RawMap, stages: RawMap[], rep: Reporter): { text: string; valid: boolean } | undefined {
  const text = str(conditional, 'condition');
  if (text === undefined) return undefined;
  const word = text.trim();
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(word) || KNOWN_WORDS.has(word)) {
    const before = rep.errorCount;
    checkConditionAt(rep, conditional, 'condition');
    return { text, valid: rep.errorCount === before };
  }
  const previous = stages[stages.indexOf(conditional) - 1];
  if (previous === undefined || previous.type === 'conditional' || (!has(previous, 'agents') && !has(previous, 'agent') && !has(previous, 'branches'))) {
    rep.error('SPEC_STAGE_CONDITION', `'${word}' names an output of the stage before, but no stage with agents comes before '${String(conditional.name)}'`, rep.value(conditional, 'condition'), "write an expression instead, e.g. tasks['stage'].outputs.ok == 'true'");
    return { text, valid: false };
  }
  const ids = agentIds(previous);
  // Outputs written by a process are text, and the text 'false' is truthy: compare instead.
  const tests = ids.map((id) => `tasks[${quote(id)}].outputs.${word}`).map((v) => `${v} == true || ${v} == 'true'`);
  return { text: tests.join(' || '), valid: true };
}

/** Ids of the agent tasks of a stage, as stageTask gives them. */
function agentIds(stage: RawMap): string[] {
  const name = stage.name as string;
  const refs: string[] = [];
  if (Array.isArray(stage.branches)) for (const b of stage.branches) if (isMap(b) && typeof b.agent === 'string') refs.push(b.agent);
  if (typeof stage.agent === 'string') refs.push(stage.agent);
  if (Array.isArray(stage.agents)) for (const a of stage.agents) if (typeof a === 'string') refs.push(a);
  if (refs.length <= 1) return [name];
  const seen = new Map<string, number>();
  return refs.map((agent) => {
    const count = (seen.get(agent) ?? 0) + 1;
    seen.set(agent, count);
    return `${name}.${agent}${count > 1 ? `.${count}` : ''}`;
  });
}

function quote(id: string): string {
  return `'${id.replace(/'/g, "''")}'`;
}
