import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { alive, baton, BATON, batonAsync, ROOT, tempDir, until, writeWorkflow } from './helpers.js';

const example = (name: string) => path.join('examples', name);

describe('baton run: the bundled examples', () => {
  it('hello: runs, passes an output on, and prints a summary', () => {
    const r = baton(['run', example('hello.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Run [0-9A-Z]{26} hello: succeeded/);
    expect(r.stdout).toMatch(/greet\s+succeeded/);
    expect(r.stdout).toMatch(/report\s+succeeded/);
  });

  it.each(['sequential.yaml', 'fan-out.yaml', 'loop-envs.yaml', 'flaky-retry.yaml', 'deploy-rollback.yaml'])(
    '%s succeeds',
    (file) => {
      const r = baton(['run', example(file), '--json']);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.status).toBe('succeeded');
      expect(summary.counts.failed).toBe(0);
    },
  );

  it.each([
    ['seed-004.json', 18],
    ['phases.json', 5],
    ['stages.yaml', 10],
  ])("the seeds' formats run: %s", (file, tasks) => {
    const r = baton(['run', example(file), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('succeeded');
    expect(summary.counts.total).toBe(tasks);
  });

  it('seed-004: the summary lists loop iterations right after their loop', () => {
    const ids = JSON.parse(baton(['run', example('seed-004.json'), '--json']).stdout).tasks.map((t: { id: string }) => t.id);
    const at = ids.indexOf('deploy-multiple-envs');
    expect(ids.slice(at, at + 4)).toEqual([
      'deploy-multiple-envs',
      'deploy-multiple-envs[staging]',
      'deploy-multiple-envs[qa]',
      'deploy-multiple-envs[production]',
    ]);
  });

  it('order-saga: the charge goes through its fallback; a failed shipping undoes the charge and the reservation, the last first', () => {
    const ok = JSON.parse(baton(['run', example('order-saga.yaml'), '--json']).stdout);
    expect(ok.status).toBe('succeeded');
    expect(ok.tasks.find((t: { id: string }) => t.id === 'charge')).toMatchObject({ status: 'succeeded', attempts: 3, fallback_from: 3, outputs: { payment: 'P-77' } });
    const failed = baton(['run', example('order-saga.yaml'), '--input', 'break_shipping=true']);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('compensated: undid charge, reserve');
    expect(failed.stdout).toMatch(/compensate\[charge\] +succeeded[\s\S]*compensate\[reserve\] +succeeded/);
    expect(failed.stdout).not.toContain('baton retry');
  });

  it('flaky-retry: the flaky task takes three attempts', () => {
    const summary = JSON.parse(baton(['run', example('flaky-retry.yaml'), '--json']).stdout);
    expect(summary.tasks.find((t: { id: string }) => t.id === 'flaky')).toMatchObject({ status: 'succeeded', attempts: 3 });
  });

  it('loop-envs: iterations are keyed by environment and their outputs reach the next task', () => {
    const summary = JSON.parse(baton(['run', example('loop-envs.yaml'), '--json']).stdout);
    const ids = summary.tasks.map((t: { id: string }) => t.id);
    expect(ids).toEqual(expect.arrayContaining(['deploy-envs[staging]', 'deploy-envs[qa]', 'deploy-envs[production]']));
    const verify = summary.tasks.find((t: { id: string }) => t.id === 'verify');
    expect(verify.outputs.stdout).toContain('to staging (step 0), deploying 2026.11.1 to qa');
  });

  it('deploy-rollback: a failed deploy rolls back, and the summary shows exit code and stderr', () => {
    const r = baton(['run', example('deploy-rollback.yaml'), '--input', 'break_deploy=true']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/deploy\s+failed/);
    expect(r.stdout).toMatch(/rollback\s+succeeded/);
    expect(r.stdout).toMatch(/announce\s+skipped/);
    expect(r.stdout).toContain('exited with code 3');
    expect(r.stdout).toContain('health check failed after deploy');
    const summary = JSON.parse(baton(['run', example('deploy-rollback.yaml'), '--input', 'break_deploy=true', '--json']).stdout);
    const rollback = summary.tasks.find((t: { id: string }) => t.id === 'rollback');
    expect(rollback.outputs.stdout).toContain('because: command exited with code 3');
  });

  it('deploy-rollback: DEPLOY_ENABLED=false skips the deploy by its condition', () => {
    const summary = JSON.parse(baton(['run', example('deploy-rollback.yaml'), '--env', 'DEPLOY_ENABLED=false', '--json']).stdout);
    const deploy = summary.tasks.find((t: { id: string }) => t.id === 'deploy');
    expect(deploy.status).toBe('skipped');
    expect(deploy.reason).toContain('condition is false');
  });

  it('health-check: checks a real local HTTP server', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/health' ? { status: 'ok' } : { version: '9.9.9' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { done } = batonAsync(['run', example('health-check.yaml'), '--input', `url=${url}`, '--json']);
      const r = await done;
      expect(r.status, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.tasks.find((t: { id: string }) => t.id === 'report').outputs.stdout).toBe('service ok, version 9.9.9');
    } finally {
      server.close();
    }
  });
});

describe('baton run: behaviour', () => {
  it('prints one line per event when not on a terminal', () => {
    const r = baton(['run', example('hello.yaml')]);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} run [0-9A-Z]{26} started: hello \(2 tasks\)$/m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} greet started$/m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} report succeeded /m);
  });

  it('--follow shows a line written in pieces as one line, and a last line with no line break', () => {
    const flow = writeWorkflow(
      [
        'name: pieces',
        'tasks:',
        '  - id: talk',
        '    command: printf "hel"; sleep 0.3; printf "lo\\n"; printf "to err" >&2; sleep 0.3; printf " and on\\n" >&2; printf "no newline"',
      ].join('\n'),
    );
    const r = baton(['run', flow, '--follow']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const shown = r.stdout.split('\n').filter((line) => line.startsWith('talk '));
    expect(shown).toEqual(['talk | hello', 'talk ! to err and on', 'talk | no newline']);
    // The task's last line comes before the line saying it ended.
    expect(r.stdout.indexOf('talk | no newline')).toBeLessThan(r.stdout.indexOf('talk succeeded'));
  });

  it('redraws a live view in place on a terminal, then prints the summary', () => {
    // `script` gives the CLI a real pseudo-terminal.
    const r = spawnSync('script', ['-qec', `${process.execPath} ${BATON} run examples/flaky-retry.yaml`, '/dev/null'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status).toBe(0);
    // eslint-disable-next-line no-control-regex -- ANSI cursor codes are what this test looks for
    expect(r.stdout).toMatch(/\x1b\[\d+A\x1b\[0J/);
    expect(r.stdout).toContain('attempt 1 failed, next in');
    expect(r.stdout).toMatch(/flaky-retry: succeeded/);
    expect(r.stdout).not.toMatch(/^\d\d:\d\d:\d\d\.\d{3} /m);
  });

  it('--json prints one document with the documented shape', () => {
    const summary = JSON.parse(baton(['run', example('hello.yaml'), '--json', '--input', 'who=baton']).stdout);
    expect(Object.keys(summary)).toEqual(['run_id', 'workflow', 'status', 'started_at', 'ended_at', 'duration_ms', 'counts', 'tasks']);
    expect(summary.tasks[1]).toMatchObject({ id: 'report', type: 'shell', status: 'succeeded', attempts: 1, exit_code: 0 });
    expect(summary.tasks[1].outputs.stdout).toBe('greet said Hello, baton!');
  });

  it('keeps values from inputs as data in shell commands', () => {
    const marker = path.join(tempDir(), 'pwned');
    for (const evil of [`x; touch ${marker}`, `$(touch ${marker})`, `\`touch ${marker}\``, `'; touch ${marker}; '`]) {
      const summary = JSON.parse(baton(['run', example('hello.yaml'), '--json', '--input', `who=${evil}`]).stdout);
      expect(summary.status).toBe('succeeded');
      expect(summary.tasks[1].outputs.stdout).toBe(`greet said Hello, ${evil}!`);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('--dry-run lists the tasks in order with resolved commands and runs nothing', () => {
    const marker = path.join(tempDir(), 'ran');
    const file = writeWorkflow(`name: dry\ninputs: {target: {type: string, default: prod}}\ntasks:\n  - id: b\n    depends_on: [a]\n    command: touch ${marker}\n  - id: a\n    command: echo deploy to \${ inputs.target }\n`);
    const r = baton(['run', file, '--dry-run', '--input', 'target=qa']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/1\. a \[shell\][\s\S]*\$ echo deploy to qa[\s\S]*2\. b \[shell\] after a/);
    expect(existsSync(marker)).toBe(false);
  });

  it('keeps the summary bounded however much a task prints', () => {
    const file = writeWorkflow('name: loud\ntasks:\n  - id: loud\n    command: head -c 20000000 /dev/zero | tr "\\\\0" "x"; exit 1\n');
    const r = baton(['run', file]);
    expect(r.status).toBe(1);
    expect(r.stdout.length + r.stderr.length).toBeLessThan(20_000);
  });

  it('exits 2 on an invalid workflow, with file:line:col', () => {
    const file = writeWorkflow('name: bad\ntasks:\n  - id: a\n    command: echo\n    depend_on: [x]\n');
    const r = baton(['run', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}:5:5`);
    expect(r.stderr).toContain('depends_on');
  });

  it('exits 2 on a bad input, naming it', () => {
    const r = baton(['run', example('hello.yaml'), '--input', 'nobody=1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown input "nobody"');
  });

  it('cancels on Ctrl-C: running tasks are killed with their children, exit 130', async () => {
    const dir = tempDir();
    const file = writeWorkflow(
      `name: long\ntasks:\n  - id: long\n    command: (sleep 60 & echo $! > ${dir}/child; wait) & echo $! > ${dir}/sub; wait\n  - id: after\n    depends_on: [long]\n    command: echo never\n`,
    );
    const run = batonAsync(['run', file]);
    await until(() => existsSync(`${dir}/child`) && readFileSync(`${dir}/child`, 'utf8').trim() !== '', 10_000, 'the task to start');
    const pids = [readFileSync(`${dir}/child`, 'utf8'), readFileSync(`${dir}/sub`, 'utf8')].map((p) => Number(p.trim()));
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.status).toBe(130);
    expect(r.stdout).toMatch(/long\s+cancelled/);
    expect(r.stdout).toMatch(/after\s+cancelled/);
    await until(() => pids.every((pid) => !alive(pid)), 10_000, 'the task processes to end');
  });
});

describe('baton: other commands', () => {
  it('--version prints the package version', () => {
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    expect(baton(['--version']).stdout.trim()).toBe(version);
  });

  it('--help lists every command', () => {
    const out = baton(['--help']).stdout;
    for (const command of ['run', 'validate', 'graph', 'eval', 'schema']) expect(out).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
  });

  it('eval prints a value as JSON, with contexts from a file', () => {
    const dir = tempDir();
    const ctx = path.join(dir, 'ctx.json');
    writeFileSync(ctx, JSON.stringify({ tasks: { test: { exit_code: 0 } }, env: { DEPLOY_ENABLED: 'TRUE' } }));
    const r = baton(['eval', "${tasks.test.exit_code} == 0 && ${env.DEPLOY_ENABLED} == 'true'", '--context', ctx]);
    expect(r.stdout.trim()).toBe('true');
    expect(baton(['eval', "format('{0}-{1}', 'a', 1)"]).stdout.trim()).toBe('"a-1"');
    const bad = baton(['eval', '1 ==']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('EXPR_SYNTAX');
  });

  it('graph prints Mermaid and DOT', () => {
    expect(baton(['graph', example('deploy-rollback.yaml')]).stdout).toMatch(/^flowchart/m);
    expect(baton(['graph', example('deploy-rollback.yaml'), '--format', 'dot']).stdout).toMatch(/^digraph/m);
  });

  it('schema prints the committed JSON Schema', () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'schema', 'workflow.schema.json'), 'utf8'));
    expect(JSON.parse(baton(['schema']).stdout)).toEqual(committed);
  });
});
