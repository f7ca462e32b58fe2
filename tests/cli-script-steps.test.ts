/**
 * Durable steps for any script: `baton run script.sh`, with `baton step <id> -- <command>`
 * and `baton summary` inside it, end to end with real processes and a real SQLite store.
 * The heart of it: a bash bulk restart of 50 hosts killed with SIGKILL half-way and
 * resumed restarts every host, and none twice whose step was recorded.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive, baton, BATON, batonAsync, ROOT, tempDir, until } from './helpers.js';

interface TaskView {
  id: string;
  status: string;
  attempts: number;
  exit_code?: number;
  outputs?: { value?: { exit_code: number; stdout: string; outputs: Record<string, unknown> } };
  error?: { code: string; message: string; exit_code?: number; stderr_tail?: string };
}

/** A folder with a store of its own; scripts are written into it. */
function project() {
  const dir = tempDir('baton-script-steps-');
  const store = path.join(dir, 'runs.db');
  const run = (args: string[], env: NodeJS.ProcessEnv = {}, input?: string) => baton([...args, '--store', store], { cwd: dir, env: { BATON_STEP_SOCKET: '', ...env }, input });
  const script = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text, { mode: 0o755 });
    return name;
  };
  const status = (id: string) => JSON.parse(run(['status', id, '--json']).stdout) as { status: string; summary?: string; error?: TaskView['error']; tasks: TaskView[] };
  const task = (id: string, key: string) => status(id).tasks.find((t) => t.id === key)!;
  const onlyRun = () => (JSON.parse(run(['history', '--json']).stdout) as { run_id: string }[])[0].run_id;
  return { dir, store, run, script, status, task, onlyRun };
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);

/** Processes whose environment says they belong to the run (the script, `baton step`s, their commands). */
function processesOfRun(runId: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(`BATON_RUN_ID=${runId}`) && alive(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

describe('baton step in a bash script', () => {
  it('bulk restart of 50 hosts: SIGKILL half-way, resume, every host restarted once (a step running at the kill at most twice)', async () => {
    const p = project();
    const marker = path.join(p.dir, 'marker.log');
    const env = { ...process.env, NO_COLOR: '1', BATON_STEP_SOCKET: '', MARKER: marker, PARALLEL: '5' };
    // Its own process group, so that the kill takes baton and everything in its group at once.
    const first = spawn(process.execPath, [BATON, 'run', path.join(ROOT, 'examples', 'bulk-restart.sh'), '--store', p.store, '--view', 'none'], {
      cwd: p.dir,
      env,
      detached: true,
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => first.on('exit', resolve));
    await until(() => lines(marker).length >= 20, 60_000, 'half of the hosts to be restarted');
    process.kill(-first.pid!, 'SIGKILL');
    await exited;
    const id = p.onlyRun();
    // The script runs in a group of its own: it finds baton gone (its `baton step`s cannot
    // reach it) and stops; wait for that, so the first drive can add nothing after this.
    await until(() => processesOfRun(id).length === 0, 20_000, 'the killed run\'s script to stop');

    const atKill = p.status(id);
    expect(atKill.status).toBe('interrupted');
    const restarts = atKill.tasks.filter((t) => t.id.startsWith('restart-'));
    const recorded = new Set(restarts.filter((t) => t.status === 'succeeded').map((t) => t.id.slice('restart-'.length)));
    expect(recorded.size).toBeGreaterThanOrEqual(10);
    expect(recorded.size).toBeLessThan(50);

    const resumed = p.run(['resume', id, '--view', 'none'], { MARKER: marker, PARALLEL: '5' });
    expect(resumed.stderr).toBe('');
    expect(resumed.status).toBe(0);

    const after = p.status(id);
    expect(after.status).toBe('succeeded');
    expect(after.summary).toBe(`restarted 50 hosts, 5 at a time; marker: ${marker}`);
    const hosts = Array.from({ length: 50 }, (_, i) => `web-${String(i + 1).padStart(2, '0')}`);
    expect(after.tasks.filter((t) => t.id.startsWith('restart-') && t.status === 'succeeded')).toHaveLength(50);
    const counts = new Map<string, number>();
    for (const host of lines(marker)) counts.set(host, (counts.get(host) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(hosts);
    for (const host of hosts) {
      // Recorded as restarted before the kill: never again. Otherwise: once, or twice if
      // its command was running (or had just ended, unrecorded) when baton died.
      if (recorded.has(host)) expect({ host, times: counts.get(host) }).toEqual({ host, times: 1 });
      else expect(counts.get(host)).toBeLessThanOrEqual(2);
    }
    // The replayed inventory step printed its recorded stdout: the resumed script restarted the same 50 hosts.
    expect(p.task(id, 'list-hosts').attempts).toBe(1);
  }, 120_000);

  it('a replayed step prints its recorded stdout and does not run again', async () => {
    const p = project();
    const out = path.join(p.dir, 'out.txt');
    const ready = path.join(p.dir, 'ready');
    const script = p.script(
      'replay.sh',
      `#!/usr/bin/env bash
set -euo pipefail
x=$(baton step get -- sh -c 'echo "value-$$"')
baton step hold -- sh -c 'if [ -n "\${HOLD:-}" ]; then touch "$READY"; sleep 30; fi'
echo "x=$x" >> "$OUT"
`,
    );
    const first = batonAsync(['run', script, '--store', p.store, '--view', 'none'], { cwd: p.dir, env: { BATON_STEP_SOCKET: '', HOLD: '1', READY: ready, OUT: out } });
    await until(() => existsSync(ready), 20_000, 'the hold step to start');
    first.child.kill('SIGTERM');
    expect((await first.done).status).toBe(143);
    const id = p.onlyRun();
    const recorded = p.task(id, 'get').outputs!.value!.stdout;
    expect(recorded).toMatch(/^value-\d+\n$/);

    const resumed = p.run(['resume', id, '--view', 'none'], { OUT: out, READY: ready });
    expect(resumed.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`x=${recorded.trim()}\n`);
    expect(p.task(id, 'get').attempts).toBe(1);
    // The step stopped by SIGTERM ran again on the resume.
    expect(p.task(id, 'hold')).toMatchObject({ status: 'succeeded', attempts: 2 });
  }, 60_000);

  it('--retry 3 --delay 10ms: a command failing twice then succeeding is one step of three attempts', () => {
    const p = project();
    const script = p.script(
      'flaky.sh',
      `#!/bin/sh
set -e
out=$(baton step flaky --retry 3 --delay 10ms -- sh -c 'n=$(( $(cat count 2>/dev/null || echo 0) + 1 )); echo $n > count; echo "try $n"; echo "n=$n" >> "$BATON_OUTPUT"; [ $n -ge 3 ]')
echo "got: $out"
`,
    );
    const result = p.run(['run', script, '--json']);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    // The script's own output (its last lines) is the summary when it sets none.
    expect(summary.summary).toContain('got: try 1\ntry 2\ntry 3');
    const flaky = summary.tasks.find((t: TaskView) => t.id === 'flaky');
    expect(flaky).toMatchObject({ status: 'succeeded', attempts: 3, outputs: { value: { exit_code: 0, stdout: 'try 3\n', outputs: { n: '3' } } } });
    expect(readFileSync(path.join(p.dir, 'count'), 'utf8').trim()).toBe('3');
  });

  it('a failing step fails the run with its exit code and stderr tail', () => {
    const p = project();
    const script = p.script(
      'fail.sh',
      `#!/usr/bin/env bash
set -euo pipefail
baton step ok -- true
baton step bad -- sh -c 'echo "disk full on /var" >&2; exit 7'
echo "not reached"
`,
    );
    const result = p.run(['run', script, '--view', 'none']);
    expect(result.status).toBe(1);
    const id = p.onlyRun();
    const status = p.status(id);
    expect(status.status).toBe('failed');
    expect(status.error).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 7, message: 'fail.sh exited with code 7 after step bad failed: command exited with code 7' });
    expect(status.error!.stderr_tail).toContain('disk full on /var');
    expect(p.task(id, 'bad')).toMatchObject({ status: 'failed', exit_code: 7, error: { code: 'EXEC_EXIT_CODE', exit_code: 7, stderr_tail: 'disk full on /var' } });
    expect(p.run(['logs', id]).stdout).not.toContain('not reached');
  });

  it('--timeout stops the command\'s process group and fails the step with EXEC_TIMEOUT', () => {
    const p = project();
    const script = p.script(
      'slow.sh',
      `#!/bin/sh
baton step slow --timeout 300ms -- sh -c 'sleep 20 & echo $! > child.pid; wait'
echo "exit=$?"
`,
    );
    const started = Date.now();
    const result = p.run(['run', script, '--json']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.summary).toBe('exit=124');
    expect(summary.tasks[0]).toMatchObject({ id: 'slow', status: 'failed', error: { code: 'EXEC_TIMEOUT', message: 'slow timed out after 300ms' } });
    // The command's background child went with its group.
    const pid = Number(readFileSync(path.join(p.dir, 'child.pid'), 'utf8'));
    expect(alive(pid)).toBe(false);
  });

  it('Ctrl-C during a step cancels the run and stops the command', async () => {
    const p = project();
    const script = p.script('long.sh', `#!/bin/sh\nbaton step long -- sh -c 'echo $$ > long.pid; sleep 30'\n`);
    const run = batonAsync(['run', script, '--store', p.store, '--view', 'none'], { cwd: p.dir, env: { BATON_STEP_SOCKET: '' } });
    const pidFile = path.join(p.dir, 'long.pid');
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'), 20_000, 'the step to start');
    run.child.kill('SIGINT');
    expect((await run.done).status).toBe(130);
    const id = p.onlyRun();
    expect(p.status(id).status).toBe('cancelled');
    expect(p.task(id, 'long').status).toBe('cancelled');
    await until(() => !alive(Number(readFileSync(pidFile, 'utf8'))), 10_000, 'the command to be stopped');
  }, 60_000);

  it('baton summary sets what the run reports back; the last call wins, `-` reads stdin', () => {
    const p = project();
    const script = p.script(
      'sum.sh',
      `#!/bin/sh
set -e
baton summary "first"
echo "noise that is not the summary"
printf 'deployed 3 services\\nall healthy\\n' | baton summary -
`,
    );
    const result = p.run(['run', script, '--json']);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).summary).toBe('deployed 3 services\nall healthy');
  });

  it("logs a step's output once, under the step, whether the script captures it or not", () => {
    const p = project();
    const script = p.script(
      'logs.sh',
      `#!/bin/bash
set -e
echo "from the script"
baton step shown -- echo "from a step"
got=$(baton step captured -- echo "captured value")
echo "the script got: $got"
`,
    );
    expect(p.run(['run', script, '--view', 'none']).status).toBe(0);
    const logs = p.run(['logs', p.onlyRun()]).stdout.split('\n').filter((line) => line !== '');
    expect(logs.map((line) => line.replace(/ +\| /, ' | '))).toEqual([
      'main | from the script',
      'shown | from a step',
      'captured | captured value',
      'main | the script got: captured value',
    ]);
  });
});

describe('baton step outside a run', () => {
  it('is a usage error that says how to run the script', () => {
    for (const args of [['step', 'x', '--', 'true'], ['summary', 'hello']]) {
      const result = baton(args, { env: { BATON_STEP_SOCKET: '' } });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('run the script with `baton run <script>`');
      expect(result.stderr).toContain('[STEP_NO_RUN]');
    }
  });

  it('checks its arguments first, and has help in the full CLI', () => {
    const missing = baton(['step', 'x'], { env: { BATON_STEP_SOCKET: '' } });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('missing the command to run as step x');
    const badRetry = baton(['step', 'x', '--retry', 'two', '--', 'true']);
    expect(badRetry.status).toBe(2);
    expect(badRetry.stderr).toContain('[CLI_BAD_NUMBER]');
    const help = baton(['step', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: baton step <id> [options] -- <command...>');
    expect(help.stdout).toContain('--retry <n>');
    expect(baton(['--help']).stdout).toMatch(/step \[options\].*\n[\s\S]*summary/);
  });
});

describe('the python example', () => {
  it('triages the bundled log in four steps and reports a summary', () => {
    const p = project();
    const report = path.join(p.dir, 'report.md');
    const result = p.run(['run', path.join(ROOT, 'examples', 'log-triage.py'), '--json'], { REPORT: report });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.summary).toBe(
      [
        '1200 lines, 88 errors in 6 types',
        'top: db-proxy: connection timeout after 5000ms host=* pool=* (36x)',
        `busiest five minutes: 2026-11-22T14:40 (27 errors); report: ${report}`,
      ].join('\n'),
    );
    expect(summary.tasks.map((t: TaskView) => [t.id, t.status])).toEqual([
      ['scan', 'succeeded'],
      ['group', 'succeeded'],
      ['timeline', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    expect(readFileSync(report, 'utf8')).toContain('| 36 | `db-proxy: connection timeout after 5000ms host=* pool=*` |');
  });
});
