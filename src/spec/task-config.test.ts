import { describe, expect, test } from 'vitest';
import type { HttpTask } from './model.js';
import { check, only, valid, where, yaml } from './test-support.js';

describe("a task's `config:` (seed 004's form)", () => {
  test('its fields read as if written on the task', () => {
    const workflow = valid(check(yaml`
      name: demo
      tasks:
        - id: ping
          type: http
          timeout: 5s
          config:
            url: "http://127.0.0.1:8080/healthz"
            method: post
            headers: { x-run: "\${ run.id }" }
    `));
    const task = workflow.tasks[0] as HttpTask;
    expect(task).toMatchObject({ type: 'http', url: 'http://127.0.0.1:8080/healthz', method: 'POST', headers: { 'x-run': '${ run.id }' }, timeout: 5000 });
  });

  test('problems inside it point into it', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: ping
          type: http
          config:
            url: "http://127.0.0.1/"
            method: 3
            command: ls
    `);
    expect(where(only(result, 'SPEC_TYPE'))).toBe('7:15 expected a string, got the number 3');
    expect(where(only(result, 'SPEC_FIELD_NOT_ALLOWED'))).toBe("8:7 field 'command' does not apply to a http task (it is for shell/docker tasks)");
  });

  test('a field given on the task and in config is an error at the one in config', () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: ping
          type: http
          url: "http://127.0.0.1/a"
          config: { url: "http://127.0.0.1/b" }
    `);
    expect(where(only(result, 'SPEC_CONFLICT'))).toBe("6:15 'url' is given both on the task and in its `config`");
  });

  test('when and how a task runs stays on the task', () => {
    const d = only(check(yaml`
      name: demo
      tasks:
        - id: ping
          type: http
          config: { url: "http://127.0.0.1/", depends_on: [x] }
    `), 'SPEC_UNKNOWN_FIELD');
    expect(where(d)).toBe("5:41 unknown field 'depends_on'");
  });
});
