import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { ParallelTask, ShellTask } from './model.js';
import type { SkillLookup } from './normalize-skill.js';
import { check, codes, only, valid, where, yaml } from './test-support.js';

const fixture = (name: string): [string, string] => {
  const file = new URL(`./fixtures/${name}`, import.meta.url).pathname;
  return [readFileSync(file, 'utf8'), file];
};

describe('phases importer (seed 001)', () => {
  test('the seed plan imports and validates', () => {
    const wf = valid(check(...fixture('seed-001-phases.json')));
    expect(wf.name).toBe('adw-plan-build');
    expect(wf.source.format).toBe('phases');
    const summary = wf.tasks.map((t) => [t.id, (t as ShellTask).command, t.timeout, t.retry?.attempts, t.depends_on]);
    expect(summary).toEqual([
      ['scout', 'echo scout', 120_000, 4, []],
      ['plan', 'echo plan', 300_000, 2, ['scout']],
      ['build', 'echo build', 900_000, 4, ['plan']],
      ['test', 'echo test', 300_000, 4, ['build']],
      ['review', 'echo review', 300_000, undefined, ['test', 'plan']],
    ]);
  });

  test('problems point into the phases file', () => {
    const result = check(yaml`
      workflow_id: demo
      phases:
        - name: scout
          command: echo
          retry_count: -1
        - name: build
          comand: echo
        - name: test
          command: echo
          depends_on: [bulid]
    `);
    expect(result.diagnostics.map(where)).toEqual([
      '5:18 retry_count cannot be negative',
      "6:5 missing required field 'command'",
      "7:5 unknown field 'comand' (did you mean 'command'?)",
      "10:18 depends_on names 'bulid', which is not a task id (did you mean 'build'?)",
    ]);
  });

  test('a phase cycle', () => {
    const result = check('workflow_id: x\nphases:\n  - { name: a, command: echo, depends_on: [b] }\n  - { name: b, command: echo }\n');
    expect(where(only(result, 'SPEC_CYCLE'))).toBe('3:44 dependency cycle: a -> b -> a');
  });
});

describe('stages importer (seed 002)', () => {
  test('the seed example, with its agents declared, imports and validates', () => {
    const wf = valid(check(...fixture('seed-002-stages.yaml')));
    expect(wf).toMatchObject({ name: 'customer_onboarding', version: '1.0', source: { format: 'stages' } });
    expect(wf.tasks.map((t) => [t.id, t.type, t.depends_on, t.condition])).toEqual([
      ['data_collection', 'parallel', [], undefined],
      ['verification', 'noop', ['data_collection'], undefined],
      ['account_creation', 'parallel', ['verification'], expect.stringContaining('all_data_valid')],
      ['data_correction', 'shell', ['verification'], expect.stringMatching(/^!\(.*all_data_valid == 'true'\)$/)],
    ]);
    const collect = wf.tasks[0] as ParallelTask;
    expect(collect.wait_for).toBe('all');
    expect(collect.tasks.map((t) => [t.id, t.name, t.depends_on])).toEqual([
      ['data_collection.data_entry_agent', 'data_entry_agent', []],
      ['data_collection.document_collection_agent', 'document_collection_agent', []],
      ['data_collection.background_check_agent', 'background_check_agent', []],
    ]);
    const output = (agent: string): string => `tasks['data_collection.${agent}'].outputs.all_data_valid`;
    const truthy = (agent: string): string => `${output(agent)} == true || ${output(agent)} == 'true'`;
    expect(wf.tasks[2].condition).toBe(['data_entry_agent', 'document_collection_agent', 'background_check_agent'].map(truthy).join(' || '));
    const create = wf.tasks[2] as ParallelTask;
    expect(create.tasks.map((t) => [t.id, t.type, t.depends_on])).toEqual([
      ['account_creation.account_setup_agent', 'shell', []],
      ['account_creation.welcome_email_agent', 'http', ['account_creation.account_setup_agent']],
      ['account_creation.initial_access_agent', 'shell', ['account_creation.welcome_email_agent']],
    ]);
  });

  const skills: SkillLookup = {
    find: (name) => (name === 'http-health-check' ? { runnable: true, inputs: { url: { type: 'string', required: true } } } : undefined),
    names: () => ['http-health-check'],
  };

  test('an agent that is neither declared nor a skill, with position and did-you-mean over both', () => {
    const result = check(yaml`
      workflow:
        name: w
        stages:
          - name: one
            agents: [setup_agnet]
      agents:
        setup_agent: { command: echo }
    `, 'flow.yaml', { skills });
    const d = only(result, 'SPEC_UNKNOWN_AGENT');
    expect(where(d)).toBe("5:16 agent 'setup_agnet' is neither declared under `agents:` nor a skill (did you mean 'setup_agent'?)");
    expect(d.hint).toContain('declare it under the top-level `agents:` map');
    expect(d.hint).toContain('baton skills new setup_agnet');
  });

  test('an agent not declared under agents: is the skill of that name (uses:)', () => {
    const text = yaml`
      workflow:
        name: w
        stages:
          - name: check
            agent: http-health-check
      agents: {}
    `;
    const task = valid(check(text)).tasks[0];
    expect(task).toMatchObject({ id: 'check', type: 'skill', skill: 'http-health-check' });
    // With the skills known, its inputs are checked like any `uses:`.
    const result = check(text, 'flow.yaml', { skills });
    expect(only(result, 'SPEC_SKILL_INPUT').message).toBe("skill http-health-check needs 'url'");
  });

  test('an unknown stage target, and a bare-word condition with nothing before it', () => {
    const result = check(yaml`
      workflow:
        name: w
        stages:
          - name: check
            type: conditional
            condition: ready
            on_true: deplyo
          - name: deploy
            agent: deployer
      agents:
        deployer: { command: echo }
    `);
    expect(where(only(result, 'SPEC_UNKNOWN_STAGE'))).toBe(
      "7:16 on_true names 'deplyo', which is neither a stage of this workflow nor an agent under `agents:` (did you mean 'deploy'?)",
    );
    expect(where(only(result, 'SPEC_STAGE_CONDITION'))).toBe("6:18 'ready' names an output of the stage before, but no stage with agents comes before 'check'");
  });

  test('stages after branch stages wait for them and go on unless one failed', () => {
    const wf = valid(check(yaml`
      workflow:
        name: w
        stages:
          - { name: probe, agent: prober }
          - { name: gate, type: conditional, condition: "tasks.probe.outputs.ok == 'yes'", on_true: fast, on_false: slow }
          - { name: fast, agent: prober }
          - { name: slow, agent: prober }
          - { name: report, agent: prober }
      agents:
        prober: { command: echo }
    `));
    expect(wf.tasks.map((t) => [t.id, t.depends_on, t.condition])).toEqual([
      ['probe', [], undefined],
      ['gate', ['probe'], undefined],
      ['fast', ['gate'], "tasks.probe.outputs.ok == 'yes'"],
      ['slow', ['gate'], "!(tasks.probe.outputs.ok == 'yes')"],
      ['report', ['fast', 'slow'], '!failure() && !cancelled()'],
    ]);
  });

  test('agent definitions are checked like tasks; unused agents are a warning', () => {
    const result = check(yaml`
      workflow:
        name: w
        stages:
          - { name: one, agent: a }
      agents:
        a: { command: echo, timout: 5 }
        b: { id: b, command: echo }
    `);
    expect(result.diagnostics.map((d) => `${d.severity} ${d.code} ${where(d)}`)).toEqual([
      "error SPEC_UNKNOWN_FIELD 6:23 unknown field 'timout' (did you mean 'timeout'?)",
      "warning SPEC_UNUSED_AGENT 7:3 agent 'b' is not used by any stage",
      'error SPEC_FIELD_NOT_ALLOWED 7:8 an agent cannot have `id`: the stage that uses it decides',
    ]);
  });

  test('stage problems are reported in the stages file', () => {
    const result = check(yaml`
      workflow:
        name: w
        stages:
          - name: one
            type: paralel
            branches: [{ agent: a }]
      agents:
        a: { command: echo }
    `);
    expect(codes(result)).toEqual(['SPEC_INVALID_VALUE']);
    expect(where(result.diagnostics[0])).toBe("5:13 expected one of sequential, parallel, conditional, got 'paralel' (did you mean 'parallel'?)");
  });
});
