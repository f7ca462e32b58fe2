import { describe, expect, test } from 'vitest';
import type { StoredEvent } from '../store/events.js';
import type { RunRecord } from '../store/store.js';
import { ArchiveReader, eventLine, headerLine } from './archive.js';

const record: RunRecord = {
  id: '01KAQ3T6Y1A8N4W0V9C2M5XJ7B',
  namespace: 'default',
  workflow: 'hello',
  status: 'succeeded',
  created_at: 1000,
  updated_at: 1010,
  ended_at: 1010,
  owner: { host: 'box', pid: 42, started_at: 900 },
};

const events: StoredEvent[] = [
  {
    seq: 1,
    at: 1000,
    type: 'RunCreated',
    workflow: { name: 'hello', tasks: [{ id: 'greet', type: 'noop', depends_on: [], on_success: [], on_failure: [] }], callbacks: [] },
    inputs: {},
    env: {},
  },
  { seq: 2, at: 1001, type: 'RunStarted' },
  { seq: 3, at: 1002, type: 'TaskReady', task: 'greet' },
  { seq: 4, at: 1003, type: 'TaskStarted', task: 'greet', attempt: 1 },
  { seq: 5, at: 1009, type: 'TaskSucceeded', task: 'greet', attempt: 1, outputs: { stdout: 'hi' }, exit_code: 0 },
  { seq: 6, at: 1010, type: 'RunSucceeded' },
];

const exported = () => [headerLine(record), ...events.map(eventLine)];

function read(lines: string[]) {
  const reader = new ArchiveReader();
  for (const line of lines) reader.add(line);
  return reader.finish();
}

function problems(lines: string[]): string[] {
  const result = read(lines);
  if (!('problems' in result)) throw new Error('expected problems');
  return result.problems.map((p) => `${p.line}: ${p.code}: ${p.message}`);
}

describe('the export format', () => {
  test('a header without the owner, then the events as stored', () => {
    const lines = exported();
    expect(JSON.parse(lines[0])).toEqual({
      format: 'baton-run',
      version: 1,
      run: { id: record.id, namespace: 'default', workflow: 'hello', status: 'succeeded', created_at: 1000, updated_at: 1010, ended_at: 1010 },
    });
    expect(lines.slice(1).map((l) => JSON.parse(l))).toEqual(events);
  });

  test('reads back to the same events, without seq (the store numbers them again)', () => {
    const result = read([...exported(), '']);
    if (!('run' in result)) throw new Error(JSON.stringify(result));
    expect(result.run.header.run.id).toBe(record.id);
    expect(result.run.events).toEqual(events.map(({ seq: _seq, ...e }) => e));
  });
});

describe('reading an export checks every line', () => {
  test('bad JSON, with the line number', () => {
    const lines = exported();
    lines[3] = '{"seq":3,"type":"TaskReady",';
    expect(problems(lines)).toEqual([expect.stringMatching(/^4: IMPORT_JSON: not valid JSON: /)]);
    expect(problems(['{{', ...exported().slice(1)])).toEqual([expect.stringMatching(/^1: IMPORT_JSON: not valid JSON: /)]);
  });

  test('unknown event types', () => {
    const lines = exported();
    lines[2] = JSON.stringify({ seq: 2, at: 1, type: 'RunTeleported' });
    expect(problems(lines)).toEqual([expect.stringMatching(/^3: IMPORT_EVENT_TYPE: unknown event type 'RunTeleported' \(known: RunCreated, /)]);
  });

  test('a missing header', () => {
    expect(problems(exported().slice(1))[0]).toMatch(/^1: IMPORT_NO_HEADER: the header line is missing/);
    expect(problems(['{"hello":"world"}'])[0]).toMatch(/^1: IMPORT_NO_HEADER: not a baton run export/);
  });

  test('a version newer than this baton reads', () => {
    const lines = exported();
    lines[0] = JSON.stringify({ format: 'baton-run', version: 2, run: { id: 'X', namespace: 'default', workflow: 'w', created_at: 1 } });
    expect(problems(lines)).toEqual(['1: IMPORT_VERSION_TOO_NEW: the export is version 2, newer than this baton reads (1): import it with a newer baton']);
  });

  test('gaps and repeats in seq', () => {
    const lines = exported();
    const gap = [...lines.slice(0, 3), ...lines.slice(4)];
    expect(problems(gap)).toEqual(['4: IMPORT_SEQ: TaskStarted: seq 4 leaves a gap (expected 3): events must be numbered 1, 2, 3... in order']);
    const dupe = [...lines.slice(0, 4), lines[3], ...lines.slice(4)];
    expect(problems(dupe)).toEqual(['5: IMPORT_SEQ: TaskReady: seq 3 repeats or goes back (expected 4): events must be numbered 1, 2, 3... in order']);
  });

  test('missing fields, a first event that is not RunCreated, an empty file, a header alone', () => {
    const lines = exported();
    lines[4] = JSON.stringify({ seq: 4, at: 1003, type: 'TaskStarted', task: 'greet' });
    expect(problems(lines)).toEqual(['5: IMPORT_EVENT: TaskStarted: `attempt` must be a number']);
    expect(problems([lines[0], JSON.stringify({ seq: 1, at: 1, type: 'RunStarted' })])).toEqual(['2: IMPORT_EVENT: the first event must be RunCreated, not RunStarted']);
    expect(problems([])).toEqual(['1: IMPORT_EMPTY: the file is empty: expected a run exported by `baton export`']);
    expect(problems([lines[0]])).toEqual(['1: IMPORT_NO_EVENTS: the header is not followed by any event']);
  });

  test('stops after 20 problems', () => {
    const lines = [exported()[0], ...Array.from({ length: 100 }, () => 'nope')];
    const reader = new ArchiveReader();
    for (const line of lines) reader.add(line);
    expect(reader.full).toBe(true);
    expect(problems(lines)).toHaveLength(20);
  });
});
