import { describe, expect, test } from 'vitest';
import type { LoopTask, ParallelTask } from './model.js';
import { check, only, valid, where, yaml } from './test-support.js';

describe('queue: where workers run a task', () => {
  test('a task and the workflow name their queues; a composite names the default of the tasks inside it', () => {
    const wf = valid(check(yaml`
      name: train
      queue: cpu.small
      tasks:
        - id: fetch
          command: ./fetch.sh
        - id: fit
          command: ./fit.sh
          queue: gpu
        - id: shards
          type: parallel
          queue: gpu-2
          tasks:
            - command: ./a.sh
            - command: ./b.sh
              queue: build_linux
        - id: each
          type: loop
          items: [1, 2]
          queue: gpu
          task: { command: echo }
    `));
    expect(wf.queue).toBe('cpu.small');
    const [fetch, fit, shards, each] = wf.tasks;
    // No queue of its own: the workflow's applies when the run is driven (engine/dispatch.ts).
    expect(fetch.queue).toBeUndefined();
    expect(fit.queue).toBe('gpu');
    expect(shards.queue).toBe('gpu-2');
    expect((shards as ParallelTask).tasks.map((t) => t.queue)).toEqual(['gpu-2', 'build_linux']);
    expect((each as LoopTask).task.queue).toBe('gpu');
  });

  test('a workflow without queues has none anywhere', () => {
    const wf = valid(check(yaml`
      name: demo
      tasks:
        - id: a
          command: echo
    `));
    expect(wf.queue).toBeUndefined();
    expect(wf.tasks[0].queue).toBeUndefined();
  });

  test("a task's queue that is not a queue name is SPEC_BAD_QUEUE at its value", () => {
    const result = check(yaml`
      name: demo
      tasks:
        - id: a
          command: echo
          queue: gpu pool
    `);
    expect(result.workflow).toBeUndefined();
    const d = only(result, 'SPEC_BAD_QUEUE');
    expect(where(d)).toBe("5:12 'gpu pool' is not a queue name: use letters, digits, -, _ and . (gpu, build.linux-x64)");
    expect(d.path).toBe('tasks[0].queue');
    expect(d.severity).toBe('error');
  });

  test("the workflow's queue: empty, or longer than 64 characters", () => {
    const empty = only(check(yaml`
      name: demo
      queue: ""
      tasks:
        - id: a
          command: echo
    `), 'SPEC_BAD_QUEUE');
    expect(where(empty)).toBe('2:8 a queue name cannot be empty');
    expect(empty.path).toBe('queue');

    const long = only(check(yaml`
      name: demo
      queue: ${'q'.repeat(65)}
      tasks:
        - id: a
          command: echo
    `), 'SPEC_BAD_QUEUE');
    expect(where(long)).toBe(`2:8 a queue name has at most 64 characters; '${'q'.repeat(20)}...' has 65`);
    expect(valid(check(yaml`
      name: demo
      queue: ${'q'.repeat(64)}
      tasks:
        - id: a
          command: echo
    `)).queue).toHaveLength(64);
  });

  test('a queue that is not a string says what was expected', () => {
    const d = only(check(yaml`
      name: demo
      tasks:
        - id: inner
          type: parallel
          tasks:
            - command: echo
              queue: 7
    `), 'SPEC_TYPE');
    expect(where(d)).toBe('7:16 expected a queue name, got the number 7');
  });
});
