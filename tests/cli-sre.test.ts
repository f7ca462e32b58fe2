/**
 * What an SRE expects from retry, counts and output, end to end on the built CLI with a
 * real SQLite store, real processes and a real HTTP server on loopback.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baton, batonAsync, ROOT, tempDir, writeWorkflow } from './helpers.js';

/** A store of its own per test, so run ids and prefixes do not mix. */
function project(): { store: string; run: (args: string[]) => ReturnType<typeof baton> } {
  const store = path.join(tempDir(), 'baton.db');
  return { store, run: (args) => baton([...args, '--store', store]) };
}

const runIdOf = (stdout: string) => /Run ([0-9A-Z]{26})/.exec(stdout)![1];

describe('why a failure was not retried', () => {
  let server: http.Server;
  let url = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.statusCode = req.url === '/flaky' ? 503 : 404;
      res.end('nope');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it('says so in the summary and in --json, per failure', async () => {
    const file = writeWorkflow(`
name: reasons
tasks:
  - id: missing
    type: http
    url: ${url}/missing
    retry: { attempts: 3, delay: 1 }
  - id: flaky
    type: http
    url: ${url}/flaky
    retry: { attempts: 2, delay: 1 }
  - id: once
    command: exit 2
`);
    const store = path.join(tempDir(), 'baton.db');
    const human = await batonAsync(['run', file, '--store', store]).done;
    expect(human.status).toBe(1);
    expect(human.stdout).toMatch(/missing: .*404.*\[HTTP_STATUS\]; not retried: HTTP 404 is not retryable \(only 408, 429 and 5xx are\)/);
    expect(human.stdout).toMatch(/flaky: .*503.*\[HTTP_STATUS\]; not retried: attempts exhausted \(2 of 2\)/);
    expect(human.stdout).toMatch(/once: .*\[EXEC_EXIT_CODE\]; not retried: no retry configured/);

    const json = await batonAsync(['run', file, '--store', store, '--json']).done;
    const tasks = JSON.parse(json.stdout).tasks as Array<{ id: string; attempts: number; error?: { not_retried?: string } }>;
    expect(tasks.find((t) => t.id === 'missing')).toMatchObject({ attempts: 1, error: { not_retried: expect.stringContaining('HTTP 404') } });
    expect(tasks.find((t) => t.id === 'flaky')).toMatchObject({ attempts: 2, error: { not_retried: 'attempts exhausted (2 of 2)' } });

    // status reads it back from the store.
    const status = baton(['status', JSON.parse(json.stdout).run_id, '--store', store, '--json']);
    expect(JSON.parse(status.stdout).tasks.find((t: { id: string }) => t.id === 'once').error.not_retried).toBe('no retry configured');
  });
});

describe('a failed loop keeps its iterations', () => {
  it('so a cleanup task can say which hosts succeeded', () => {
    const { run } = project();
    const file = writeWorkflow(`
name: patch
tasks:
  - id: patch
    type: loop
    items: [web1, web2, web3]
    stop_on_failure: false
    task:
      command: 'test "\${ item }" != web2 && echo "host=\${ item }" >> "$BATON_OUTPUT"'
  - id: report
    depends_on: [patch]
    condition: always()
    command: echo '\${ toJSON(tasks.patch.outputs.iterations) }'
`);
    const r = run(['run', file, '--json']);
    expect(r.status).toBe(1);
    const tasks = JSON.parse(r.stdout).tasks as Array<{ id: string; status: string; outputs?: Record<string, unknown> }>;
    const patch = tasks.find((t) => t.id === 'patch')!;
    expect(patch.status).toBe('failed');
    expect(patch.outputs).toMatchObject({
      results: [{ host: 'web1' }, {}, { host: 'web3' }],
      iterations: [{ item: 'web1', status: 'succeeded' }, { item: 'web2', status: 'failed' }, { item: 'web3', status: 'succeeded' }],
    });
    const report = tasks.find((t) => t.id === 'report')!;
    expect(report.status).toBe('succeeded');
    expect(JSON.parse(String(report.outputs!.stdout))).toMatchObject([{ item: 'web1', status: 'succeeded' }, { item: 'web2', status: 'failed' }, { item: 'web3' }]);
  });
});

describe('hints and messages an operator can use as they are', () => {
  it('quotes task keys a shell would mangle in every printed command', () => {
    const { run, store } = project();
    const file = writeWorkflow(`
name: quoting
tasks:
  - id: patch
    type: loop
    items: [web3]
    task:
      command: exit 3
`);
    const r = run(['run', file]);
    expect(r.status).toBe(1);
    const id = runIdOf(r.stdout);
    expect(r.stdout).toContain(`Output: baton logs ${id} 'patch[web3]'`);
    const status = baton(['status', id, '--store', store]);
    expect(status.stdout).toContain(`See the output: baton logs ${id} 'patch[web3]'`);
  });

  it('shortens a skip reason that names many dependencies', () => {
    const { run } = project();
    const many = Array.from({ length: 40 }, (_, i) => `t${i}`);
    const file = writeWorkflow(`
name: fan-in
tasks:
${many.map((id) => `  - id: ${id}\n    command: exit 1`).join('\n')}
  - id: join
    depends_on: [${many.join(', ')}]
    command: 'true'
`);
    const r = run(['run', file, '--json']);
    const join = JSON.parse(r.stdout).tasks.find((t: { id: string }) => t.id === 'join');
    expect(join).toMatchObject({ status: 'skipped', reason: 'dependencies t0, t1, t2, ... (37 more) failed' });
  });

  it('says when a task has no output, and names an unknown one with a did-you-mean', () => {
    const { run, store } = project();
    const file = writeWorkflow(`
name: quiet
tasks:
  - id: silent
    command: 'true'
  - id: talk
    command: echo hi
  - id: never
    depends_on: [silent]
    condition: "false"
    command: echo no
`);
    const id = runIdOf(run(['run', file]).stdout);
    const silent = baton(['logs', id, 'silent', '--store', store]);
    expect(silent).toMatchObject({ status: 0, stdout: '', stderr: 'baton: task silent produced no output\n' });
    const never = baton(['logs', id, 'never', '--store', store]);
    expect(never.status).toBe(0);
    expect(never.stderr).toMatch(/task never did not run \(skipped: condition is false: false\)/);
    const typo = baton(['logs', id, 'slient', '--store', store]);
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toContain(`has no task 'slient' (did you mean 'silent'?)`);
    const talk = baton(['logs', id, 'talk', '--store', store]);
    expect(talk).toMatchObject({ status: 0, stderr: '' });
    expect(talk.stdout).toContain('hi');
  });

  it('retry --from a task the run does not have gets a did-you-mean', () => {
    const { run, store } = project();
    const file = writeWorkflow(`
name: from
tasks:
  - id: deploy
    command: exit 1
`);
    const id = runIdOf(run(['run', file]).stdout);
    const r = baton(['retry', id, '--from', 'deplyo', '--store', store]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(`has no task 'deplyo' (did you mean 'deploy'?)`);
    expect(r.stderr).toContain('[RUN_UNKNOWN_TASK]');
  });

  it('cancel --json prints the summary of a run another process was driving', async () => {
    const store = path.join(tempDir(), 'baton.db');
    const file = writeWorkflow(`
name: long
tasks:
  - id: wait
    command: sleep 30
  - id: cleanup
    depends_on: [wait]
    condition: always()
    command: 'true'
`);
    const running = batonAsync(['run', file, '--store', store, '--view', 'plain']);
    let id = '';
    const deadline = Date.now() + 15_000;
    while (id === '' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      id = /run ([0-9A-Z]{26}) started/.exec(running.output())?.[1] ?? '';
    }
    expect(id).not.toBe('');
    const cancel = await batonAsync(['cancel', id, '--json', '--store', store]).done;
    expect(cancel.status).toBe(0);
    const summary = JSON.parse(cancel.stdout);
    expect(summary).toMatchObject({ run_id: id, status: 'cancelled' });
    expect(summary.tasks.find((t: { id: string }) => t.id === 'cleanup').status).toBe('succeeded');
    await running.done;
  });
});

describe('one task count everywhere', () => {
  it('the start line, the summary, status and history count the same tasks', () => {
    const { run, store } = project();
    const r = run(['run', 'examples/seed-004.json', '--view', 'plain']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/started: deployment-workflow \(18 tasks\)/);
    expect(r.stdout).toMatch(/^ {2}18 tasks: \d+ succeeded, \d+ skipped$/m);
    const id = runIdOf(r.stdout);
    expect(JSON.parse(baton(['status', id, '--store', store, '--json']).stdout).counts.total).toBe(18);
    const history = JSON.parse(baton(['history', '--store', store, '--json']).stdout);
    expect(history[0].counts.total).toBe(18);
  });

  it('a loop whose items come from a task is announced as such', () => {
    const { run } = project();
    const file = writeWorkflow(`
name: dynamic
tasks:
  - id: list
    command: echo '["a","b"]'
  - id: each
    type: loop
    depends_on: [list]
    items: \${ fromJSON(tasks.list.outputs.stdout) }
    task:
      command: echo \${ item }
`);
    const r = run(['run', file, '--view', 'plain']);
    expect(r.stdout).toMatch(/started: dynamic \(2 tasks \+ the iterations of 1 loop\)/);
    expect(r.stdout).toMatch(/^ {2}4 tasks: 4 succeeded$/m);
  });

  it('history shows skipped tasks apart from those that succeeded', () => {
    const { run, store } = project();
    const file = writeWorkflow(`
name: callbacks
tasks:
  - id: a
    command: 'true'
  - id: b
    depends_on: [a]
    command: 'true'
    on_failure: [alert]
  - id: c
    depends_on: [b]
    command: 'true'
  - id: alert
    command: 'true'
`);
    expect(run(['run', file]).status).toBe(0);
    const history = baton(['history', '--store', store]);
    expect(history.stdout).toMatch(/callbacks +succeeded .* 3 ok, 1 skipped$/m);
    expect(history.stdout).not.toContain('3/4');
  });
});

describe('the examples in the README and the docs', () => {
  /** Fenced yaml/json blocks that are whole workflows (a top-level name, or an imported shape). */
  function workflowBlocks(file: string): Array<{ text: string; ext: string; line: number }> {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    const out: Array<{ text: string; ext: string; line: number }> = [];
    for (const m of text.matchAll(/^```(yaml|yml|json|ts)\n([\s\S]*?)^```/gm)) {
      const body = m[2];
      const line = text.slice(0, m.index).split('\n').length;
      // A TypeScript block is a whole workflow when it has its default export (and imports
      // nothing of its own project, which the block does not show).
      if (m[1] === 'ts') {
        if (/^export default workflow\(/m.test(body) && !/from '\.\.?\//.test(body)) out.push({ text: body, ext: 'ts', line });
        continue;
      }
      const whole = /^(name|workflow):/m.test(body) || /^\{\s*"(name|workflow_id)"/.test(body);
      // Every YAML block of the README is a workflow; a JSON one may be a client's settings.
      if ((file === 'README.md' && m[1] !== 'json') || whole) out.push({ text: body, ext: m[1] === 'json' ? 'json' : 'yaml', line });
    }
    return out;
  }

  const files = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const blocks = files.flatMap((file) => workflowBlocks(file).map((b) => ({ file, ...b })));

  it('finds the README workflow', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThan(0);
  });

  it.each(blocks.map((b) => [`${b.file}:${b.line}`, b] as const))('%s validates', (_where, block) => {
    const file = writeWorkflow(block.text, `example.${block.ext}`);
    const r = baton(['validate', file]);
    expect(r.stdout + r.stderr, `${block.file}:${block.line}`).toMatch(/: valid/);
    expect(r.status).toBe(0);
  });
});

describe('--dry-run inside loops', () => {
  const flow = `
name: envs
inputs:
  release: "1.0"
tasks:
  - id: list
    command: echo '["x"]'
  - id: deploy
    type: loop
    items: [qa, prod]
    task:
      command: ./deploy.sh "\${ inputs.release }" "\${ item }"
  - id: later
    type: loop
    depends_on: [list]
    items: \${ fromJSON(tasks.list.outputs.stdout) }
    task:
      command: ./check.sh "\${ inputs.release }" "\${ item }"
`;

  it('resolves inputs in loop bodies, shows each known item, and counts what would run', () => {
    const file = writeWorkflow(flow);
    const r = baton(['run', file, '--dry-run', '--input', 'release=2.5', '--store', 'memory']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('(envs): 5 tasks + the iterations of 1 loop, nothing will run');
    expect(r.stdout).toContain('deploy[qa]: $ ./deploy.sh "2.5" "qa"');
    expect(r.stdout).toContain('deploy[prod]: $ ./deploy.sh "2.5" "prod"');
    expect(r.stdout).toContain('$ ./check.sh "2.5" "${ item }"');
    const json = JSON.parse(baton(['run', file, '--dry-run', '--json', '--store', 'memory']).stdout);
    expect(json).toMatchObject({ tasks: 5, open_loops: 1 });
    expect(json.steps.find((s: { key: string }) => s.key === 'deploy[item]').iterations).toEqual([
      { key: 'deploy[qa]', action: './deploy.sh "1.0" "qa"' },
      { key: 'deploy[prod]', action: './deploy.sh "1.0" "prod"' },
    ]);
  });
});

describe('durations count the attempts, not the idle time around them', () => {
  it('a retry three minutes later adds only its own running time, in the summary, status and history', async () => {
    const { openStore } = await import('../src/store/open.js');
    const { runWorkflow } = await import('../src/engine/runner.js');
    const { continueStoredRun } = await import('../src/engine/resume.js');
    const { summarize } = await import('../src/engine/summary.js');
    const { shell, workflow } = await import('../src/engine/test-dsl.js');
    const file = path.join(tempDir(), 'baton.db');
    const marker = path.join(tempDir(), 'fixed');
    // Fails until the marker exists.
    const wf = workflow([shell('quick', `test -e ${marker}`), shell('after', 'true', { depends_on: ['quick'] })]);
    const started = Date.now();
    // The retry happens "three minutes later": the clock it sees is three minutes ahead.
    const clock = (ahead: number) => () => Date.now() + ahead;
    const store = openStore(file);
    let runId: string;
    try {
      ({ runId } = await runWorkflow({ store, workflow: wf, now: clock(0) }));
      const { writeFileSync } = await import('node:fs');
      writeFileSync(marker, '');
      const owner = { host: 'test', pid: process.pid, started_at: started };
      const { state } = await continueStoredRun({ store, runId, owner, now: clock(180_000), stopLeftovers: async () => {} }, { kind: 'retry' });
      const summary = summarize(state);
      expect(summary.status).toBe('succeeded');
      const quick = summary.tasks.find((t) => t.id === 'quick')!;
      expect(quick.attempts).toBe(2);
      // Two short attempts, far from the three minutes between them.
      expect(quick.duration_ms).toBeLessThan(60_000);
      expect(summary.duration_ms).toBeLessThan(60_000);
      const status = JSON.parse(baton(['status', runId, '--store', file, '--json']).stdout);
      expect(status.duration_ms).toBe(summary.duration_ms);
      expect(status.tasks.find((t: { id: string }) => t.id === 'quick').duration_ms).toBe(quick.duration_ms);
      const history = JSON.parse(baton(['history', '--store', file, '--json']).stdout);
      expect(history[0].duration_ms).toBe(summary.duration_ms);
    } finally {
      await store.close();
    }
  });
});
