import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, test } from 'vitest';
import type { RunEvent, StoredEvent } from '../../store/events.js';
import { currentOwner } from '../../store/ownership.js';
import type { RunRecord, TaskRecord } from '../../store/store.js';
import { paint } from './format.js';
import { LogFormatter } from './logs.js';
import { countTasks, RunDigest, runJson, taskJson, type StatusJson } from '../../runs/run-view.js';
import { MAX_STATUS_ROWS, outputsLine, renderHistory, renderStatus } from './status.js';
import { localTime, parseSince, relativeTime } from './time.js';

const plain = paint(false);
const T0 = Date.parse('2026-11-22T15:40:00Z');
const ID = '01KAQ3T6Y1A8N4W0V9C2M5XJ7B';

/** Events numbered from 1, one ms apart. */
function numbered(events: Array<RunEvent & { at?: number }>): StoredEvent[] {
  return events.map((e, i) => ({ at: T0 + i, ...e, seq: i + 1 }) as StoredEvent);
}

/** A workflow snapshot as RunCreated keeps it (only the fields status reads). */
const workflow = {
  name: 'deploy',
  version: '1.2.0',
  source: { file: '/work/flows/deploy.yaml', format: 'canonical' },
  tasks: [
    { id: 'build', type: 'shell' },
    { id: 'checks', type: 'parallel', tasks: [{ id: 'lint', type: 'shell' }, { id: 'unit', type: 'shell' }] },
    { id: 'envs', type: 'loop', task: { id: 'envs[item]', type: 'shell' } },
    { id: 'gate', type: 'conditional', then: { id: 'gate[then]', type: 'noop' } },
    { id: 'report', type: 'shell', name: 'Report' },
  ],
};

const events = numbered([
  { type: 'RunCreated', workflow, inputs: {}, env: {}, source: { file: '/work/flows/deploy.yaml', sha256: 'x' } },
  { type: 'RunStarted' },
  {
    type: 'TaskExpanded',
    task: 'envs',
    children: [
      { key: 'envs[qa]', parent: 'envs', spec: { id: 'envs[qa]', type: 'shell' }, after: [] },
      { key: 'envs[prod]', parent: 'envs', spec: { id: 'envs[prod]', type: 'shell' }, after: ['envs[qa]'] },
    ],
  },
  { type: 'RunFailed', error: { code: 'RUN_TASKS_FAILED', message: '1 task failed: envs[prod]' } },
]);

const rows: TaskRecord[] = [
  { key: 'build', status: 'succeeded', attempt: 1, first_started_at: T0, started_at: T0, ended_at: T0 + 1200, exit_code: 0, outputs: { stdout: 'built 1.2.0' } },
  { key: 'lint', status: 'succeeded', attempt: 1, first_started_at: T0, ended_at: T0 + 300, exit_code: 0 },
  { key: 'unit', status: 'succeeded', attempt: 2, first_started_at: T0, ended_at: T0 + 900, exit_code: 0, outputs: { stdout: 'ok', passed: 12 } },
  { key: 'checks', status: 'succeeded', attempt: 1, first_started_at: T0, ended_at: T0 + 900 },
  { key: 'envs', status: 'failed', attempt: 1, first_started_at: T0, ended_at: T0 + 2000, error: { code: 'TASK_CHILD_FAILED', message: 'an iteration failed' } },
  { key: 'envs[qa]', status: 'succeeded', attempt: 1, first_started_at: T0, ended_at: T0 + 500, exit_code: 0 },
  {
    key: 'envs[prod]',
    status: 'failed',
    attempt: 3,
    first_started_at: T0,
    ended_at: T0 + 812,
    exit_code: 3,
    error: { code: 'EXEC_EXIT_CODE', message: 'command exited with code 3', exit_code: 3, stderr_tail: 'connecting\nrefused: prod.db:5432' },
  },
  { key: 'report', status: 'skipped', attempt: 0, reason: 'dependency envs failed', ended_at: T0 + 2000 },
];

const record: RunRecord = { id: ID, namespace: 'default', workflow: 'deploy', status: 'failed', created_at: T0, updated_at: T0 + 2100, ended_at: T0 + 2100 };

// What the rows above say, as the events that made them: durations are folded from these.
events.push(
  ...numbered(
    rows
      .filter((row) => row.first_started_at !== undefined && row.ended_at !== undefined)
      .flatMap((row): Array<RunEvent & { at: number }> => [
        { type: 'TaskStarted', task: row.key, attempt: row.attempt, at: row.first_started_at! },
        row.status === 'failed'
          ? { type: 'TaskFailed', task: row.key, attempt: row.attempt, error: row.error!, retryable: false, at: row.ended_at! }
          : { type: 'TaskSucceeded', task: row.key, attempt: row.attempt, outputs: {}, at: row.ended_at! },
      ]),
  ).map((e, i) => ({ ...e, seq: events.length + i + 1 })),
);

function view(r: RunRecord = record, taskRows: TaskRecord[] = rows, evs: StoredEvent[] = events): StatusJson {
  const digest = new RunDigest();
  digest.apply(evs);
  const tasks = taskJson(taskRows, digest, T0 + 60_000);
  return { ...runJson(r, countTasks(tasks), T0 + 60_000, digest), tasks };
}

describe('status as data', () => {
  test('tasks come in tree order, with composites before what they hold, and unreached tasks as pending', () => {
    const v = view();
    expect(v.tasks.map((t) => [t.id, t.parent ?? '', t.status])).toEqual([
      ['build', '', 'succeeded'],
      ['checks', '', 'succeeded'],
      ['lint', 'checks', 'succeeded'],
      ['unit', 'checks', 'succeeded'],
      ['envs', '', 'failed'],
      ['envs[qa]', 'envs', 'succeeded'],
      ['envs[prod]', 'envs', 'failed'],
      ['gate', '', 'pending'],
      ['gate[then]', 'gate', 'pending'],
      ['report', '', 'skipped'],
    ]);
    expect(v.counts).toMatchObject({ total: 10, succeeded: 5, failed: 2, skipped: 1, pending: 2 });
  });

  test('the run head: version, file, times, error', () => {
    const v = view();
    expect(v).toMatchObject({
      run_id: ID,
      workflow: { name: 'deploy', version: '1.2.0' },
      status: 'failed',
      file: '/work/flows/deploy.yaml',
      created_at: '2026-11-22T15:40:00.000Z',
      started_at: '2026-11-22T15:40:00.001Z',
      ended_at: '2026-11-22T15:40:02.100Z',
      duration_ms: 2100,
      error: { code: 'RUN_TASKS_FAILED' },
    });
    expect(v.tasks.find((t) => t.id === 'envs[prod]')).toEqual({
      id: 'envs[prod]',
      type: 'shell',
      parent: 'envs',
      status: 'failed',
      attempts: 3,
      started_at: '2026-11-22T15:40:00.000Z',
      ended_at: '2026-11-22T15:40:00.812Z',
      duration_ms: 812,
      exit_code: 3,
      error: rows[6].error,
    });
    expect(Object.keys(v)).toEqual(['run_id', 'workflow', 'status', 'file', 'created_at', 'started_at', 'ended_at', 'duration_ms', 'error', 'counts', 'tasks']);
  });

  test('a run whose owner is gone is interrupted; a live owner is shown', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const running: RunRecord = { ...record, status: 'running', ended_at: undefined, owner: { host: hostname(), pid: dead, started_at: T0 } };
    expect(view(running).status).toBe('interrupted');
    expect(view(running).owner).toBeUndefined();
    const alive = { ...running, owner: currentOwner(), heartbeat_at: Date.now() };
    expect(view(alive)).toMatchObject({ status: 'running', owner: { host: hostname(), pid: process.pid } });
    expect(view(alive).error).toBeUndefined();
  });

  test('the digest takes events a batch at a time', () => {
    const digest = new RunDigest();
    digest.apply(events.slice(0, 2));
    expect(digest.seq).toBe(2);
    expect(digest.nodes.has('envs[qa]')).toBe(false);
    digest.apply(events.slice(2));
    expect(digest.seq).toBe(events.length);
    expect(digest.nodes.get('envs[qa]')).toEqual({ parent: 'envs', type: 'shell', name: undefined });
  });
});

describe('renderStatus', () => {
  const text = () => renderStatus(view(), plain, T0 + 60_000);

  test('head, nested tasks indented, notes, counts', () => {
    const lines = text().split('\n');
    expect(lines[0]).toBe(`Run ${ID}  deploy 1.2.0`);
    expect(text()).toMatch(/^ {2}status +failed$/m);
    expect(text()).toMatch(/^ {2}file +\/work\/flows\/deploy\.yaml$/m);
    expect(text()).toMatch(/^ {2}duration +2\.1s$/m);
    expect(text()).toMatch(/^ {2}error +1 task failed: envs\[prod\] \[RUN_TASKS_FAILED\]$/m);
    expect(text()).toMatch(/^ {2}build +succeeded +1 +1\.2s +0 +stdout=built 1\.2\.0$/m);
    expect(text()).toMatch(/^ {4}unit +succeeded +2 +900ms +0 +passed=12$/m);
    expect(text()).toMatch(/^ {4}envs\[prod\] +failed +3 +812ms +3 +command exited with code 3 \[EXEC_EXIT_CODE\]$/m);
    expect(text()).toMatch(/^ {2}gate +pending +- +-$/m);
    expect(text()).toMatch(/^ {2}report +skipped +- +- +dependency envs failed$/m);
    expect(text()).toContain('10 tasks: 5 succeeded, 2 failed, 1 skipped, 2 pending');
  });

  test('the tail of a failed task’s stderr, and what to do next', () => {
    expect(text()).toContain('✖ envs[prod]: command exited with code 3 [EXEC_EXIT_CODE]\n    │ connecting\n    │ refused: prod.db:5432');
    expect(text()).toContain(`baton retry ${ID}`);
    expect(text()).toContain(`baton logs ${ID} 'envs[prod]'`);
  });

  test('an interrupted run says to resume it', () => {
    const running: RunRecord = { ...record, status: 'running', ended_at: undefined, owner: { host: hostname(), pid: 2 ** 22 + 1, started_at: T0 } };
    const out = renderStatus(view(running), plain, T0 + 60_000);
    expect(out).toMatch(/^ {2}status +interrupted$/m);
    expect(out).toContain(`baton resume ${ID}`);
    expect(out).not.toContain('baton retry');
  });

  test('a big loop folds its finished iterations, keeping failures in view', () => {
    const many: TaskRecord[] = [{ key: 'envs', status: 'failed', attempt: 1 }];
    const children = [];
    for (let i = 0; i < 200; i++) {
      const key = `envs[${i}]`;
      children.push({ key, parent: 'envs', spec: { type: 'shell' }, after: [] });
      many.push({ key, status: i === 150 ? 'failed' : 'succeeded', attempt: 1, error: i === 150 ? { code: 'EXEC_EXIT_CODE', message: 'boom' } : undefined });
    }
    const evs = numbered([
      { type: 'RunCreated', workflow: { name: 'deploy', tasks: [{ id: 'envs', type: 'loop' }] }, inputs: {}, env: {} },
      { type: 'TaskExpanded', task: 'envs', children },
    ]);
    const v = view(record, many, evs);
    const out = renderStatus(v, plain, T0);
    const taskLines = out.slice(out.indexOf('TASK')).split('\n');
    expect(taskLines.length).toBeLessThan(MAX_STATUS_ROWS);
    expect(out).toMatch(/^ {4}… 150 more finished$/m);
    expect(out).toMatch(/^ {4}envs\[150\] +failed/m);
    expect(out).toMatch(/^ {4}… 49 more finished$/m);
    expect(renderStatus(v, plain, T0, { all: true })).toMatch(/^ {4}envs\[199\] +succeeded/m);
  });
});

describe('renderHistory', () => {
  test('one row per run: id, workflow, status, when, duration, task counts', () => {
    const failed = view();
    const running = { ...view({ ...record, status: 'running', ended_at: undefined, owner: currentOwner(), lease_until: T0 + 120_000 }) };
    const out = renderHistory([running, failed], plain, T0 + 90_000);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN +WORKFLOW +STATUS +STARTED +DURATION +TASKS$/);
    expect(lines[1]).toMatch(new RegExp(`^${ID} +deploy +running +1m ago +1m30s… +5 ok, 2 failed, 1 skipped, 2 waiting$`));
    expect(lines[2]).toMatch(new RegExp(`^${ID} +deploy +failed +1m ago +2\\.1s +5 ok, 2 failed, 1 skipped, 2 waiting$`));
  });
});

describe('outputsLine', () => {
  test('named outputs, bounded, on one line; stdout only when alone', () => {
    expect(outputsLine({ stdout: 'hello\nworld' })).toBe('stdout=hello ⏎ world');
    expect(outputsLine({ stdout: 'noise', version: '1.2', obj: { a: 1 } })).toBe('version=1.2, obj={"a":1}');
    expect(outputsLine({ long: 'x'.repeat(100) })).toBe(`long=${'x'.repeat(39)}…`);
  });
});

describe('time', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');

  test('--since takes a duration back from now or a date', () => {
    expect(parseSince('30m', now)).toBe(now - 30 * 60_000);
    expect(parseSince('2d', now)).toBe(now - 2 * 86_400_000);
    expect(parseSince('1h30m', now)).toBe(now - 90 * 60_000);
    expect(parseSince('2026-11-20', now)).toBe(Date.parse('2026-11-20'));
    expect(parseSince('2026-11-20T08:00:00Z', now)).toBe(Date.parse('2026-11-20T08:00:00Z'));
    for (const bad of ['5', 'yesterday', '2026-13-45', '1x', '']) expect(() => parseSince(bad, now), bad).toThrow(/--since .* is neither a duration/);
  });

  test('relative times, and the local date once a week old', () => {
    expect(relativeTime(now - 1000, now)).toBe('just now');
    expect(relativeTime(now - 42_000, now)).toBe('42s ago');
    expect(relativeTime(now - 5 * 60_000, now)).toBe('5m ago');
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe('3h ago');
    expect(relativeTime(now - 2 * 86_400_000, now)).toBe('2d ago');
    expect(relativeTime(now - 30 * 86_400_000, now)).toBe(localTime(now - 30 * 86_400_000).slice(0, 10));
    expect(localTime(now)).toMatch(/^2026-11-2[12] \d\d:00:00$/);
  });
});

describe('LogFormatter', () => {
  const line = (task: string, text: string, stream: 'stdout' | 'stderr' = 'stdout', attempt = 1) => ({ task, attempt, stream, at: T0, text });

  test('several tasks: task, a stream marker, padded as names grow', () => {
    const f = new LogFormatter(plain, true);
    // Without the run's keys up front, the padding grows as longer names turn up.
    expect(f.format(line('build', 'compiling'))).toBe('build | compiling');
    expect(f.format(line('envs[qa]', 'oops', 'stderr'))).toBe('envs[qa] ! oops');
    expect(f.format(line('build', 'done'))).toBe('build    | done');
    expect(f.format(line('flaky', 'again', 'stdout', 2))).toBe('flaky#2  | again');
  });

  test("given the run's task keys, the columns line up from the first line", () => {
    const f = new LogFormatter(plain, true, ['a', 'envs[prod]']);
    expect(f.format(line('a', 'hello'))).toBe('a          | hello');
    expect(f.format(line('envs[prod]', 'x', 'stderr'))).toBe('envs[prod] ! x');
  });

  test('one task: the text alone; stderr in red when colours are on', () => {
    expect(new LogFormatter(plain, false).format(line('build', 'x', 'stderr'))).toBe('x');
    expect(new LogFormatter(paint(true), false).format(line('build', 'x', 'stderr'))).toBe('\x1b[31mx\x1b[0m');
  });
});
