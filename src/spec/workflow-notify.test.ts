import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from './diagnostics.js';
import { loadWorkflowFile } from './load.js';
import { check, only, valid, where, yaml } from './test-support.js';

/** A folder of workflow files, written as given. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-children-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const CHILD = yaml`
  name: child
  inputs:
    who: {type: string}
    times: {type: number, default: 1}
  outputs:
    said: "\${ tasks.say.outputs.stdout }"
  tasks:
    - id: say
      command: echo hi
`;

const lines = (diagnostics: Parameters<typeof formatDiagnostic>[0][]) => diagnostics.map((d) => formatDiagnostic(d).split('\n')[0]);

describe('workflow tasks: the child file, checked when the parent loads', () => {
  it('a valid child with the inputs it takes: the task is a workflow task (implied by `workflow:`)', async () => {
    const dir = folder({ 'child.yaml': CHILD, 'flow.yaml': 'name: parent\ninputs: { who: ops }\ntasks:\n  - id: kid\n    workflow: child.yaml\n    inputs: { who: "${ inputs.who }", times: 2 }\n' });
    const workflow = valid(await loadWorkflowFile(path.join(dir, 'flow.yaml')));
    expect(workflow.tasks[0]).toMatchObject({ id: 'kid', type: 'workflow', workflow: 'child.yaml', inputs: { who: '${ inputs.who }', times: 2 } });
  });

  it('a path is relative to the file\'s folder, not the current one', async () => {
    const dir = folder({ 'flows/sub/child.yaml': CHILD, 'flows/flow.yaml': 'name: parent\ntasks:\n  - id: kid\n    workflow: sub/child.yaml\n    inputs: { who: x }\n' });
    valid(await loadWorkflowFile(path.join(dir, 'flows', 'flow.yaml')));
  });

  it('a missing child file: SPEC_WORKFLOW_NOT_FOUND at the field', async () => {
    const dir = folder({ 'flow.yaml': 'name: parent\ntasks:\n  - id: kid\n    workflow: nope.yaml\n  - id: code\n    workflow: nope.ts\n' });
    const result = await loadWorkflowFile(path.join(dir, 'flow.yaml'));
    expect(result.workflow).toBeUndefined();
    expect(result.diagnostics.map(where)).toEqual([
      `4:15 task kid runs nope.yaml: there is no such file (${path.join(dir, 'nope.yaml')})`,
      `6:15 task code runs nope.ts: there is no such file (${path.join(dir, 'nope.ts')})`,
    ]);
  });

  it("a child that is not a valid workflow: an error at the field, then the child's own diagnostics with its path", async () => {
    const dir = folder({ 'broken.yaml': 'name: broken\ntasks:\n  - id: a\n    comand: x\n', 'flow.yaml': 'name: parent\ntasks:\n  - id: kid\n    workflow: broken.yaml\n' });
    const file = path.join(dir, 'flow.yaml');
    const result = await loadWorkflowFile(file);
    expect(lines(result.diagnostics)).toEqual([
      `${file}:4:15: error SPEC_WORKFLOW_INVALID: task kid runs broken.yaml, which is not a valid workflow: 2 problems, listed with its path`,
      `${path.join(dir, 'broken.yaml')}:3:5: error SPEC_MISSING_FIELD: task has no \`type\` (nor a field that implies one: \`command\` a shell task, \`uses\` a skill, \`workflow\` a child run, \`notify\` a notification)`,
      `${path.join(dir, 'broken.yaml')}:4:5: error SPEC_UNKNOWN_FIELD: unknown field 'comand' (did you mean 'command'?)`,
    ]);
  });

  it('inputs the child does not declare, a literal of the wrong type, a required one left out', async () => {
    const dir = folder({ 'child.yaml': CHILD, 'flow.yaml': 'name: parent\ntasks:\n  - id: kid\n    workflow: child.yaml\n    inputs: { whom: x, times: many }\n' });
    const result = await loadWorkflowFile(path.join(dir, 'flow.yaml'));
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_WORKFLOW_INPUT').map(where)).toEqual([
      "5:5 workflow child.yaml needs 'who'",
      "5:15 workflow child.yaml has no input 'whom' (did you mean 'who'?)",
      '5:31 workflow child.yaml\'s input \'times\' is a number, and "many" is not a number',
    ]);
  });

  it('a workflow that runs itself, directly or through another file: SPEC_WORKFLOW_RECURSION', async () => {
    const dir = folder({
      'self.yaml': 'name: self\ntasks:\n  - id: again\n    workflow: ./self.yaml\n',
      'a.yaml': 'name: a\ntasks:\n  - id: to-b\n    workflow: b.yaml\n',
      'b.yaml': 'name: b\ntasks:\n  - id: to-a\n    workflow: a.yaml\n',
    });
    const self = await loadWorkflowFile(path.join(dir, 'self.yaml'));
    expect(where(only(self, 'SPEC_WORKFLOW_RECURSION'))).toBe('4:15 task again runs this workflow itself: each run would start another, without end');
    const a = await loadWorkflowFile(path.join(dir, 'a.yaml'));
    expect(a.workflow).toBeUndefined();
    // Found in b (the file that leads back), and a says b is not valid.
    expect(lines(a.diagnostics)).toEqual([
      `${path.join(dir, 'a.yaml')}:4:15: error SPEC_WORKFLOW_INVALID: task to-b runs b.yaml, which is not a valid workflow: 1 problem, listed with its path`,
      `${path.join(dir, 'b.yaml')}:4:15: error SPEC_WORKFLOW_RECURSION: task to-a runs a.yaml, which leads back to a workflow that runs it (a.yaml → b.yaml → a.yaml): the runs would never end`,
    ]);
  });

  it('a file reached twice is read once and its problems listed once', async () => {
    const dir = folder({ 'broken.yaml': 'name: broken\ntasks: []\n', 'flow.yaml': 'name: parent\ntasks:\n  - id: one\n    workflow: broken.yaml\n  - id: two\n    workflow: broken.yaml\n' });
    const result = await loadWorkflowFile(path.join(dir, 'flow.yaml'));
    expect(result.diagnostics.map((d) => d.code)).toEqual(['SPEC_WORKFLOW_INVALID', 'SPEC_WORKFLOW_INVALID', 'SPEC_INVALID_VALUE']);
  });

  it('the file is a path without templates; a task without one says what it needs', () => {
    const result = check(yaml`
      name: parent
      tasks:
        - id: kid
          workflow: "\${ inputs.env }.yaml"
        - id: none
          type: workflow
    `);
    expect(where(result.diagnostics.find((d) => d.code === 'SPEC_INVALID_VALUE')!)).toBe(
      "4:15 a workflow task's file cannot hold a template: it is checked when this file is loaded, and a resumed run must find the same child",
    );
    expect(where(only(result, 'SPEC_MISSING_FIELD'))).toBe('5:5 a workflow task needs `workflow`');
  });

  it('text given without a folder (an API request) leaves the child to be checked when it runs', () => {
    valid(check('name: parent\ntasks:\n  - id: kid\n    workflow: nowhere.yaml\n'));
    expect(only(check('name: parent\ntasks:\n  - id: kid\n    workflow: nowhere.yaml\n', 'flow.yaml', { baseDir: tmpdir() }), 'SPEC_WORKFLOW_NOT_FOUND')).toBeDefined();
  });
});

describe('notify tasks', () => {
  it('a channel by name, or a webhook; `notify:` implies the type', () => {
    const workflow = valid(
      check(
        yaml`
          name: n
          secrets: [HOOK_KEY]
          tasks:
            - id: a
              notify: ops
              message: "done: \${ workflow.name }"
            - id: b
              notify: { url: "http://127.0.0.1:9/hook", secret: "\${ secrets.HOOK_KEY }", headers: { X-Team: sre } }
              message: hi
            - id: c
              type: notify
              notify: { url: "\${ secrets.HOOK_KEY }", secret_env: KEY }
              message: hi
        `,
        'flow.yaml',
        { channels: ['ops'] },
      ),
    );
    expect(workflow.tasks[0]).toMatchObject({ type: 'notify', channel: 'ops', message: 'done: ${ workflow.name }', headers: {} });
    expect(workflow.tasks[1]).toMatchObject({ type: 'notify', url: 'http://127.0.0.1:9/hook', secret: '${ secrets.HOOK_KEY }', headers: { 'X-Team': 'sre' } });
    expect(workflow.tasks[2]).toMatchObject({ type: 'notify', url: '${ secrets.HOOK_KEY }', secret_env: 'KEY' });
  });

  it('without notify or message, with a webhook without url: says what is missing', () => {
    const result = check(yaml`
      name: n
      tasks:
        - id: a
          type: notify
        - id: b
          notify: { secret_env: KEY }
          message: hi
    `);
    expect(result.diagnostics.map(where)).toEqual([
      '3:5 a notify task needs `notify`',
      '3:5 a notify task needs `message`',
      '6:13 a notify webhook needs `url`',
    ]);
  });

  it('a channel baton.config.yaml does not define, when the loader knows them', () => {
    const text = 'name: n\ntasks:\n  - id: a\n    notify: opps\n    message: hi\n';
    const d = only(check(text, 'flow.yaml', { channels: ['ops', 'dev'] }), 'SPEC_UNKNOWN_CHANNEL');
    expect(where(d)).toBe("4:13 no notification channel 'opps' (did you mean 'ops'?)");
    expect(d.hint).toBe('baton.config.yaml defines: ops, dev');
    valid(check(text));
  });

  it('a signing key in clear, or one that reads no secret, is refused; secret and secret_env do not go together', () => {
    const result = check(yaml`
      name: n
      inputs: { key: x }
      tasks:
        - id: a
          notify: { url: "http://h/x", secret: s3cret }
          message: hi
        - id: b
          notify: { url: "http://h/x", secret: "\${ inputs.key }" }
          message: hi
        - id: c
          notify: { url: "http://h/x", secret: "\${ secrets.K }", secret_env: K }
          message: hi
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_SECRET_IN_CLEAR').map(where)).toEqual([
      "5:42 the webhook's signing key is written in clear",
      "8:42 the webhook's signing key reads no secret: its value would be recorded in clear",
    ]);
    expect(where(only(result, 'SPEC_CONFLICT'))).toBe('11:34 give either `secret_env` or `secret`, not both');
  });

  it('a webhook URL that is not http(s), and a template that would choose its host, are refused', () => {
    const result = check(yaml`
      name: n
      inputs: { host: x }
      tasks:
        - id: a
          notify: { url: "ftp://h/x" }
          message: hi
        - id: b
          notify: { url: "http://\${ inputs.host }/x" }
          message: hi
    `);
    expect(where(only(result, 'SPEC_INVALID_VALUE'))).toBe("5:20 'ftp://h/x' is not an http:// or https:// URL");
    expect(only(result, 'SPEC_URL_HOST')).toBeDefined();
  });
});
