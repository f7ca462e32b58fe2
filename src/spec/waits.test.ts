import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

describe('approval tasks', () => {
  test('an approval with its prompt, approvers, timeout and notification', () => {
    const wf = valid(check(yaml`
      name: deploy
      inputs:
        release: {type: string}
      tasks:
        - id: ok
          type: approval
          prompt: "deploy ${'${'} inputs.release } to prod?"
          approvers: [alice, role:approver]
          timeout: 1h
          on_timeout: approve
          notify: ops
    `, 'flow.yaml', { channels: ['ops'] }));
    expect(wf.tasks[0]).toMatchObject({ type: 'approval', prompt: 'deploy ${ inputs.release } to prod?', approvers: ['alice', 'role:approver'], timeout: 3_600_000, on_timeout: 'approve', notify: { channel: 'ops', headers: {} } });
  });

  test('one approver may be written alone; a timeout rejects by default', () => {
    const wf = valid(check(yaml`
      name: deploy
      tasks:
        - id: ok
          type: approval
          approvers: bob
          timeout: 5m
    `));
    expect(wf.tasks[0]).toMatchObject({ approvers: ['bob'], on_timeout: 'reject' });
  });

  test('an approval with no approvers is refused at its place', () => {
    const missing = check(yaml`
      name: deploy
      tasks:
        - id: ok
          type: approval
          prompt: go?
    `);
    expect(where(only(missing, 'SPEC_MISSING_FIELD'))).toBe('3:5 an approval needs `approvers`');
    const empty = check(yaml`
      name: deploy
      tasks:
        - id: ok
          type: approval
          approvers: []
    `);
    const d = only(empty, 'SPEC_MISSING_FIELD');
    expect(where(d)).toBe('5:16 an approval with no approvers could never be answered');
    expect(d.hint).toContain('approvers: [alice, role:approver]');
    expect(empty.workflow).toBeUndefined();
  });

  test('an unknown role, a name with a prefix, and on_timeout without a timeout', () => {
    const result = check(yaml`
      name: deploy
      tasks:
        - id: ok
          type: approval
          approvers: [role:boss, "user:alice"]
          on_timeout: approve
    `);
    expect(codes(result)).toEqual(['SPEC_INVALID_VALUE', 'SPEC_INVALID_VALUE', 'SPEC_CONFLICT']);
    expect(where(result.diagnostics[0])).toBe("5:17 'role:boss' names no role: the roles are viewer, operator, approver, admin");
    expect(where(result.diagnostics[1])).toBe("5:28 'user:alice' is not an approver: give a user name, or role:NAME");
    expect(where(result.diagnostics[2])).toContain('6:5 `on_timeout` says what a timeout does');
  });

  test('fields of other types are refused on an approval', () => {
    const result = check(yaml`
      name: deploy
      tasks:
        - id: ok
          type: approval
          approvers: [alice]
          command: echo
    `);
    expect(where(only(result, 'SPEC_FIELD_NOT_ALLOWED'))).toContain("6:5 field 'command' does not apply to a approval task");
  });
});

describe('wait tasks', () => {
  test('until a time, for a while, for an event with a filter and a timeout', () => {
    const wf = valid(check(yaml`
      name: waits
      inputs:
        order: {type: string}
      tasks:
        - id: at
          type: wait
          until: "2030-01-01T09:00:00Z"
        - id: later
          type: wait
          duration: 10m
        - id: paid
          type: wait
          event: payment-received
          filter: event.data.order == inputs.order
          timeout: 1h
    `));
    expect(wf.tasks.map((t) => ({ ...t }))).toMatchObject([
      { type: 'wait', until: '2030-01-01T09:00:00Z' },
      { type: 'wait', duration: 600_000 },
      { type: 'wait', event: 'payment-received', filter: 'event.data.order == inputs.order', timeout: 3_600_000 },
    ]);
  });

  test('a wait for nothing, or for two things, is refused', () => {
    expect(where(only(check(yaml`
      name: waits
      tasks:
        - id: w
          type: wait
    `), 'SPEC_MISSING_FIELD'))).toBe('3:5 a wait task needs `until`');
    expect(where(only(check(yaml`
      name: waits
      tasks:
        - id: w
          type: wait
          duration: 5s
          event: go
    `), 'SPEC_CONFLICT'))).toBe('6:5 a wait task waits for one thing: give one of until, duration and event, not duration and event');
  });

  test('a time that is none, a timeout on a time, a filter without an event, a filter reading env', () => {
    const result = check(yaml`
      name: waits
      tasks:
        - id: a
          type: wait
          until: tomorrow
        - id: b
          type: wait
          duration: 5s
          timeout: 1m
        - id: c
          type: wait
          until: "2030-01-01T00:00:00Z"
          filter: event.data.ok
        - id: d
          type: wait
          event: go
          filter: event.data.to == env.TARGET
    `);
    expect(codes(result)).toEqual(['SPEC_INVALID_VALUE', 'SPEC_CONFLICT', 'SPEC_CONFLICT', 'SPEC_CONTEXT_UNAVAILABLE']);
    expect(where(result.diagnostics[0])).toBe("5:12 'tomorrow' is not a time");
    expect(where(result.diagnostics[1])).toBe('9:5 a wait for a time ends at that time: it takes no `timeout`');
    expect(where(result.diagnostics[2])).toContain('13:5 `filter` chooses among events');
    expect(where(result.diagnostics[3])).toContain("17:30 a wait's filter can read `event` and the run's inputs and tasks, not `env`");
  });

  test('a filter with a syntax error points at it', () => {
    const result = check(yaml`
      name: waits
      tasks:
        - id: d
          type: wait
          event: go
          filter: "event.data.to =="
    `);
    expect(only(result, 'SPEC_EXPR_SYNTAX').line).toBe(6);
  });
});

describe('on_failure: pause', () => {
  test('the word alone pauses; callbacks stay a list', () => {
    const wf = valid(check(yaml`
      name: deploy
      tasks:
        - id: deploy
          command: ./deploy.sh
          on_failure: pause
        - id: check
          command: ./check.sh
          on_failure: [notify]
        - id: notify
          command: ./notify.sh
    `));
    expect(wf.tasks[0]).toMatchObject({ pause_on_failure: true, on_failure: [] });
    expect(wf.tasks[1].pause_on_failure).toBeUndefined();
    expect(wf.tasks[1].on_failure).toEqual(['notify']);
  });

  test('a composite cannot pause; a task named pause makes the word ambiguous', () => {
    const composite = check(yaml`
      name: deploy
      tasks:
        - id: all
          type: parallel
          on_failure: pause
          tasks:
            - command: echo
    `);
    expect(where(only(composite, 'SPEC_PAUSE_ON_COMPOSITE'))).toBe('5:17 a parallel task cannot pause on failure: it ends as its tasks do');
    const ambiguous = check(yaml`
      name: deploy
      tasks:
        - id: deploy
          command: ./deploy.sh
          on_failure: pause
        - id: pause
          command: echo paused
    `);
    const d = only(ambiguous, 'SPEC_PAUSE_AMBIGUOUS');
    expect(where(d)).toContain("5:17 `on_failure: pause` pauses the task when it fails, and this workflow also has a task named 'pause'");
    expect(d.hint).toBe('to call that task instead, write it as a list: on_failure: [pause]');
    valid(check(yaml`
      name: deploy
      tasks:
        - id: deploy
          command: ./deploy.sh
          on_failure: [pause]
        - id: pause
          command: echo paused
    `));
  });
});
