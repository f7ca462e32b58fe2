import { describe, expect, test } from 'vitest';
import { toDot, toMermaid } from './render-graph.js';
import { check, valid, yaml } from './test-support.js';

const wf = valid(check(yaml`
  name: 'say "hi" <now>'
  inputs: { go: true }
  tasks:
    - { id: build, name: 'Build "all" <fast>', command: echo }
    - id: tests
      type: parallel
      depends_on: [build]
      tasks: [{ id: unit, command: echo }, { command: echo }]
    - id: each
      type: loop
      depends_on: [tests]
      items: [a, b]
      task: { command: echo }
      on_failure: [undo]
    - id: pick
      type: conditional
      condition: "inputs.go"
      then: { type: noop }
    - { id: undo, command: echo }
`));

describe('graph output', () => {
  test('mermaid', () => {
    expect(toMermaid(wf)).toBe(
      [
        'flowchart TD',
        '  t0["build<br/>Build #quot;all#quot; #lt;fast#gt;<br/>shell"]',
        '  subgraph t1["tests<br/>parallel (all)"]',
        '    t2["unit<br/>shell"]',
        '    t3["tests[1]<br/>shell"]',
        '  end',
        '  subgraph t4["each<br/>loop over 2 items"]',
        '    t5["each item: each[item]<br/>shell"]',
        '  end',
        '  subgraph t6["pick<br/>if inputs.go"]',
        '    t7["then: pick[then]<br/>noop"]',
        '  end',
        '  t8["undo<br/>shell"]',
        '  t0 --> t1',
        '  t1 --> t4',
        '  t4 -. on_failure .-> t8',
        '',
      ].join('\n'),
    );
  });

  test('dot', () => {
    const dot = toDot(wf);
    expect(dot.startsWith('digraph "say \\"hi\\" <now>" {\n')).toBe(true);
    expect(dot).toContain('  t0 [label="build\\nBuild \\"all\\" <fast>\\nshell"];');
    expect(dot).toContain('  subgraph cluster_t1 {\n    label="tests\\nparallel (all)";');
    expect(dot).toContain('  t0 -> t1 [lhead=cluster_t1];');
    expect(dot).toContain('  t1 -> t4 [ltail=cluster_t1, lhead=cluster_t4];');
    expect(dot).toContain('  t4 -> t8 [ltail=cluster_t4, style=dashed, label="on_failure"];');
    expect(dot.trimEnd().endsWith('}')).toBe(true);
  });
});
