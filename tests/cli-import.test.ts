/**
 * `baton import` checks the events it is given against the run's own workflow snapshot:
 * a task the snapshot does not have, or an order the engine could not have written, is
 * refused with the line it is on, and nothing is imported (so nothing crashes later).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';
import { dbIn } from './runs-fixture.js';

const FLOW = `name: import-me
tasks:
  - id: build
    command: echo built
  - id: envs
    type: loop
    items: [qa, prod]
    depends_on: [build]
    task:
      command: echo "deploy \${ item }"
  - id: deploy
    depends_on: [envs]
    command: exit 3
    on_failure: [rollback]
  - id: rollback
    command: echo rolled back
`;

/** A real run of FLOW, exported: its lines. */
function exportedRun(): { lines: string[]; runId: string; db: string } {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'flow.yaml'), FLOW);
  const db = dbIn(dir);
  const run = baton(['run', 'flow.yaml', '--store', db, '--json'], { cwd: dir });
  expect(run.status, run.stderr).toBe(1);
  const runId = JSON.parse(run.stdout).run_id as string;
  const exported = baton(['export', runId, '--store', db]);
  expect(exported.status, exported.stderr).toBe(0);
  return { lines: exported.stdout.trimEnd().split('\n'), runId, db };
}

function importLines(lines: string[]) {
  const file = path.join(tempDir(), 'run.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const store = dbIn(tempDir(), 'other.db');
  return { ...baton(['import', file, '--store', store]), file, store };
}

/** The events numbered 1, 2, 3... again after some were taken out. */
function renumber(lines: string[]): string[] {
  return lines.map((line, i) => (i === 0 ? line : JSON.stringify({ ...JSON.parse(line), seq: i })));
}

/** Line number (1-based) of the first event matching. */
function lineOf(lines: string[], match: (event: Record<string, unknown>) => boolean): number {
  return lines.findIndex((line, i) => i > 0 && match(JSON.parse(line))) + 1;
}

describe('baton import checks the events against the snapshot', () => {
  it('a run the engine wrote imports, and retry of it works', () => {
    const { lines, runId } = exportedRun();
    const r = importLines(lines);
    expect(r.status, r.stderr).toBe(0);
    const retried = baton(['retry', runId, '--store', r.store, '--json']);
    expect(retried.stderr).not.toMatch(/internal error|unknown task key/);
    expect(JSON.parse(retried.stdout).tasks.find((t: { id: string }) => t.id === 'deploy').attempts).toBe(2);
  });

  it('an interrupted run that was resumed imports', async () => {
    const dir = tempDir();
    const marker = path.join(dir, 'started');
    writeFileSync(path.join(dir, 'flow.yaml'), `name: resumed\ntasks:\n  - id: slow\n    command: touch ${marker}; sleep 30\n  - id: after\n    depends_on: [slow]\n    command: echo done\n`);
    const db = dbIn(dir);
    const running = batonAsync(['run', 'flow.yaml', '--store', db, '--view', 'plain'], { cwd: dir });
    await until(() => {
      try {
        readFileSync(marker);
        return true;
      } catch {
        return false;
      }
    }, 15_000, 'the slow task to start');
    running.child.kill('SIGKILL');
    await running.done;
    const runId = /run ([0-9A-Z]{26}) started/.exec(running.output())![1];
    writeFileSync(path.join(dir, 'flow.yaml'), `name: resumed\ntasks:\n  - id: slow\n    command: echo quick\n  - id: after\n    depends_on: [slow]\n    command: echo done\n`);
    const cancelled = baton(['cancel', runId, '--store', db]);
    expect(cancelled.stderr).not.toMatch(/internal error/);
    const exported = baton(['export', runId, '--store', db]);
    const lines = exported.stdout.trimEnd().split('\n');
    expect(lines.some((l) => l.includes('"RunResumed"') || l.includes('"TaskCancelled"'))).toBe(true);
    const r = importLines(lines);
    expect(r.status, r.stderr).toBe(0);
  });

  it('an event for a task the snapshot does not have is refused with its line; nothing is imported', () => {
    const { lines, runId } = exportedRun();
    const at = lineOf(lines, (e) => e.type === 'TaskSucceeded' && e.task === 'build');
    const ghost = JSON.parse(lines[at - 1]);
    ghost.task = 'ghost';
    lines[at - 1] = JSON.stringify(ghost);
    const r = importLines(lines);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${r.file}:${at}: error IMPORT_UNKNOWN_TASK: TaskSucceeded names task 'ghost', which the run's workflow snapshot (RunCreated) does not have`);
    expect(r.stderr).toMatch(/was not imported/);
    const retry = baton(['retry', runId, '--store', r.store]);
    expect(retry.stderr).not.toMatch(/unknown task key|internal error/);
    expect(retry.stderr).toMatch(/STORE_RUN_NOT_FOUND|not found/);
  });

  it('a success with no start, and a loop iteration its loop would not make, are refused with their lines', () => {
    const { lines } = exportedRun();
    const start = lineOf(lines, (e) => e.type === 'TaskStarted' && e.task === 'build');
    const withoutStart = renumber(lines.filter((_, i) => i !== start - 1));
    const r = importLines(withoutStart);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`:${start}: error IMPORT_ORDER: TaskSucceeded of build (attempt 1) while it is ready: a task succeeds only after TaskStarted`);

    const expanded = lineOf(lines, (e) => e.type === 'TaskExpanded');
    const event = JSON.parse(lines[expanded - 1]);
    event.labels = 'index';
    const forged = [...lines];
    forged[expanded - 1] = JSON.stringify(event);
    const e = importLines(forged);
    expect(e.status).toBe(2);
    expect(e.stderr).toContain(`:${expanded}: error IMPORT_EXPANSION: the iterations of envs are not what its loop in the snapshot makes: \`labels\` is "index", where the loop makes "item"`);
  });
});
