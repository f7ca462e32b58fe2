import { describe, expect, test } from 'vitest';
import type { DataProcessorTask, DockerBuildTask, DockerRunTask } from './model.js';
import { check, only, valid, where, yaml } from './test-support.js';
import { splitWords } from './words.js';

describe('docker tasks', () => {
  test("seed 004's form: the fields under config:, an image build", () => {
    const [task] = valid(check(yaml`
      name: seed
      tasks:
        - id: docker-build
          name: Build Docker image
          type: docker
          config:
            dockerfile: Dockerfile
            context: .
            tags: ["myapp:latest", "myapp:\${env.BUILD_NUMBER}"]
            build_args:
              NODE_ENV: production
    `)).tasks as DockerBuildTask[];
    expect(task).toMatchObject({ type: 'docker', action: 'build', dockerfile: 'Dockerfile', context: '.', tags: ['myapp:latest', 'myapp:${env.BUILD_NUMBER}'], build_args: { NODE_ENV: 'production' }, push: false });
  });

  test('image runs a container; a string command is split into words as a shell would, templates kept whole', () => {
    const [task] = valid(check(yaml`
      name: run
      inputs: { who: world }
      tasks:
        - id: hello
          type: docker
          image: alpine:3.20
          command: echo "hello \${ inputs.who }" 'a  b' c\\ d $HOME
          env: { MODE: fast, RETRIES: 3 }
          volumes: [./data:/data:ro]
    `)).tasks as DockerRunTask[];
    expect(task).toMatchObject({ action: 'run', image: 'alpine:3.20', command: ['echo', 'hello ${ inputs.who }', 'a  b', 'c d', '$HOME'], env: { MODE: 'fast', RETRIES: '3' }, volumes: ['./data:/data:ro'], rm: true });
  });

  test('a list command is taken as it is', () => {
    const [task] = valid(check(yaml`
      name: run
      tasks:
        - { id: x, type: docker, image: busybox, command: [sh, -c, "echo 1 && echo 2"], rm: false, pull: always }
    `)).tasks as DockerRunTask[];
    expect(task).toMatchObject({ command: ['sh', '-c', 'echo 1 && echo 2'], rm: false, pull: 'always' });
  });

  test('neither image nor anything to build: an error at the task', () => {
    const d = only(check(yaml`
      name: bad
      tasks:
        - id: x
          type: docker
          network: host
    `), 'SPEC_MISSING_FIELD');
    expect(where(d)).toBe('3:5 a docker task that runs a container needs `image`');
  });

  test('nothing at all: the message says what either action needs', () => {
    const d = only(check(yaml`
      name: bad
      tasks:
        - id: x
          type: docker
    `), 'SPEC_MISSING_FIELD');
    expect(where(d)).toBe('3:5 a docker task needs `image` (to run a container) or `context`/`dockerfile` (to build an image)');
  });

  test('image with build fields and no action is ambiguous', () => {
    const d = only(check(yaml`
      name: bad
      tasks:
        - { id: x, type: docker, image: a, dockerfile: Dockerfile }
    `), 'SPEC_CONFLICT');
    expect(where(d)).toMatch(/^3:28 a docker task with both `image` and `dockerfile` could build or run/);
    expect(d.hint).toContain('action: build');
  });

  test('a field of the other action is refused at its key', () => {
    const d = only(check(yaml`
      name: bad
      tasks:
        - id: x
          type: docker
          action: build
          tags: [a:1]
          volumes: [./x:/x]
    `), 'SPEC_FIELD_NOT_ALLOWED');
    expect(where(d)).toBe("7:5 field 'volumes' does not apply to `action: build` (it is for action run)");
  });

  test('push needs tags; a tag with a space is no tag; an unclosed quote in the command is found at its column', () => {
    const result = check(yaml`
      name: bad
      tasks:
        - { id: a, type: docker, context: ., push: true }
        - { id: b, type: docker, tags: ["my app:1"] }
        - { id: c, type: docker, image: x, command: "echo 'oops" }
    `);
    expect(where(only(result, 'SPEC_MISSING_FIELD'))).toBe('3:5 a docker build that pushes needs `tags`');
    const problems = result.diagnostics.filter((d) => d.code === 'SPEC_INVALID_VALUE').map(where);
    expect(problems).toEqual(["4:35 'my app:1' is not an image tag: it is empty or holds spaces", '5:53 the single quote here is never closed']);
  });

  test('a shell task with a list command is an error (only docker takes a list)', () => {
    expect(where(only(check('name: x\ntasks:\n  - id: a\n    command: [ls, -l]\n'), 'SPEC_INVALID_VALUE'))).toBe('4:14 a shell command is one string, not a list');
  });

  test('without docker on PATH, validate warns', () => {
    const result = check('name: x\ntasks:\n  - { id: a, type: docker, image: alpine }\n', 'flow.yaml', { isOnPath: () => false });
    expect(where(only(result, 'SPEC_PROGRAM_NOT_FOUND'))).toBe("3:20 program 'docker' is not on PATH");
    expect(result.workflow).toBeDefined();
  });
});

describe('data_processor tasks', () => {
  test("seed 004's form", () => {
    const [task] = valid(check(yaml`
      name: seed
      tasks:
        - id: process-data
          name: Process data files
          type: data_processor
          input: { type: file, path: "data/*.json" }
          processor: { type: javascript, script: scripts/process-data.js }
          output: { type: file, path: processed/output.json }
    `)).tasks as DataProcessorTask[];
    expect(task).toMatchObject({
      type: 'data_processor',
      input: { paths: ['data/*.json'], allow_empty: false },
      processor: { type: 'javascript', script: 'scripts/process-data.js', args: [], per_file: false },
      output: { path: 'processed/output.json' },
    });
  });

  test('short forms; a command is a shell processor; the language comes from the extension', () => {
    const [a, b] = valid(check(yaml`
      name: short
      tasks:
        - { id: a, type: data_processor, input: [logs/*.log, more/**/*.log], processor: { command: "grep ERROR" }, output: errors.txt }
        - { id: b, type: data_processor, input: { path: in.jsonl, format: lines, allow_empty: true }, processor: { script: t.py, per_file: true }, output: { path: out.jsonl, format: jsonl } }
    `)).tasks as DataProcessorTask[];
    expect(a.input.paths).toEqual(['logs/*.log', 'more/**/*.log']);
    expect(a.processor).toMatchObject({ type: 'shell', command: 'grep ERROR' });
    expect(a.output).toEqual({ path: 'errors.txt' });
    expect(b).toMatchObject({ input: { paths: ['in.jsonl'], format: 'lines', allow_empty: true }, processor: { type: 'python', per_file: true }, output: { path: 'out.jsonl', format: 'jsonl' } });
  });

  test('what is missing is said where it is missing', () => {
    const result = check(yaml`
      name: bad
      tasks:
        - id: a
          type: data_processor
          input: { type: file }
          processor: { type: javascript }
    `);
    expect(result.diagnostics.filter((d) => d.code === 'SPEC_MISSING_FIELD').map(where)).toEqual([
      '3:5 a data_processor task needs `output`',
      '5:12 a data_processor input needs `path`',
      '6:16 a processor needs `script`',
    ]);
  });

  test('an output glob, two sources, a command under another type, an input type other than file', () => {
    const result = check(yaml`
      name: bad
      tasks:
        - { id: a, type: data_processor, input: x.json, processor: { script: a.js, command: cat }, output: "out/*.json" }
        - { id: b, type: data_processor, input: { type: s3, path: x }, processor: { type: python, command: cat }, output: o.txt }
    `);
    expect(result.diagnostics.map((d) => `${d.code} ${where(d)}`)).toEqual([
      'SPEC_CONFLICT 3:78 give one of `script`, `code` and `command`, not `script` and `command`',
      "SPEC_INVALID_VALUE 3:102 the output is one file, and 'out/*.json' is a glob",
      "SPEC_INVALID_VALUE 4:51 unknown input type 's3'",
      'SPEC_CONFLICT 4:93 a python processor runs a `script` or `code`; `command` is for type shell',
    ]);
  });
});

describe('splitWords', () => {
  test('quotes, escapes and templates', () => {
    expect(splitWords(`a "b c" 'd "e"' f\\ g "h\\"i" \${ format('{0} x', inputs.y) } "\${ inputs.z }!"`)).toEqual({ words: ['a', 'b c', 'd "e"', 'f g', 'h"i', "${ format('{0} x', inputs.y) }", '${ inputs.z }!'] });
    expect(splitWords('  ')).toEqual({ words: [] });
    expect(splitWords('""')).toEqual({ words: [''] });
    expect(splitWords('a "b')).toEqual({ error: 'the double quote here is never closed', index: 2 });
    expect(splitWords('a \\')).toEqual({ error: 'the command ends with a lone backslash', index: 2 });
  });
});
