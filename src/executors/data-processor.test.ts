import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DataProcessorTask } from '../spec/model.js';
import { taskDefaults } from '../spec/task-defaults.js';
import { tempPrefix } from './data-output.js';
import { createDataProcessorExecutor, dataProcessor } from './data-processor.js';
import { rejection, testIO, waitFor, type RecordingIO } from './test-support.js';

type Parts = { input?: Partial<DataProcessorTask['input']>; processor?: Partial<DataProcessorTask['processor']>; output?: Partial<DataProcessorTask['output']> };

const task = (parts: Parts = {}): DataProcessorTask => ({
  id: 'process-data',
  explicit_id: true,
  ...taskDefaults(),
  type: 'data_processor',
  input: { paths: ['data/*.json'], allow_empty: false, ...parts.input },
  processor: { type: 'javascript', script: 'scripts/process.js', args: [], per_file: false, ...parts.processor },
  output: { path: 'processed/output.json', ...parts.output },
});

/** A processor that reads JSON lines and writes each record with `seen: true` and the upper-cased name. */
const TRANSFORM = `
import { createInterface } from 'node:readline';
for await (const line of createInterface({ input: process.stdin })) {
  const record = JSON.parse(line);
  if (record.skip) continue;
  process.stdout.write(JSON.stringify({ ...record, name: String(record.name).toUpperCase(), seen: true }) + '\\n');
}
`;

function project(files: Record<string, string>): RecordingIO {
  const io = testIO();
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(io.baseDir, name)), { recursive: true });
    writeFileSync(path.join(io.baseDir, name), text);
  }
  return io;
}

const run = (t: DataProcessorTask, io: RecordingIO) => dataProcessor.run(t, io, new AbortController().signal);
const read = (io: RecordingIO, file: string) => readFileSync(path.join(io.baseDir, file), 'utf8');

describe('data_processor', () => {
  it('streams the records of every file a glob matches, in path order, through the processor into one JSON array', async () => {
    const io = project({
      'data/b.json': JSON.stringify([{ name: 'carol' }, { name: 'dave', skip: true }]),
      'data/a.json': '[{"name": "alice"},\n {"name": "bob", "tags": [1, 2]}]\n',
      'data/notes.txt': 'not matched',
      'data/.hidden.json': '[{"name": "nobody"}]',
      'scripts/process.js': TRANSFORM,
    });
    const result = await run(task(), io);
    expect(JSON.parse(read(io, 'processed/output.json'))).toEqual([
      { name: 'ALICE', seen: true },
      { name: 'BOB', tags: [1, 2], seen: true },
      { name: 'CAROL', seen: true },
    ]);
    expect(result.outputs).toMatchObject({ files: 2, records_in: 4, records_out: 3, output: path.join(io.baseDir, 'processed/output.json') });
    expect(result.outputs.bytes_in).toBe(read(io, 'data/a.json').length + read(io, 'data/b.json').length);
    expect(result.outputs.bytes_out).toBe(read(io, 'processed/output.json').length);
    expect(io.err.join('')).toContain('data_processor: 2 files, 4 records');
  });

  it('reads JSON Lines and text lines as they are, and a JSON file of several top-level values as one record each', async () => {
    const io = project({
      'in/1.jsonl': '{"n":1}\r\n\n   \n{"n":2}',
      'in/2.ndjson': '{"n":3}\n',
      'in/3.json': '{"n":4} {"n":5}\n6',
      'in/4.log': 'plain text\n\nlast line without a newline',
    });
    const result = await run(task({ input: { paths: ['in/*'] }, processor: { type: 'shell', command: 'cat', script: undefined }, output: { path: 'out.txt' } }), io);
    expect(read(io, 'out.txt')).toBe('{"n":1}\n{"n":2}\n{"n":3}\n{"n":4}\n{"n":5}\n6\nplain text\n\nlast line without a newline\n');
    expect(result.outputs).toMatchObject({ files: 4, records_in: 9, records_out: 9 });
  });

  it('runs one process per file with per_file, naming the file in $BATON_INPUT_FILE, and lists all of them in $BATON_INPUT_FILES', async () => {
    const io = project({ 'logs/x.jsonl': '{"v":1}\n{"v":2}\n', 'logs/y.jsonl': '{"v":3}' });
    const command = 'n=$(wc -l < "$BATON_INPUT_FILES"); while read -r line; do printf \'{"file":"%s","files":%s,"record":%s}\' "$(basename "$BATON_INPUT_FILE")" "$n" "$line"; echo; done';
    await run(task({ input: { paths: ['logs/*.jsonl'] }, processor: { type: 'shell', command, script: undefined, per_file: true }, output: { path: 'out/all.jsonl' } }), io);
    expect(read(io, 'out/all.jsonl').trim().split('\n').map((line) => JSON.parse(line))).toEqual([
      { file: 'x.jsonl', files: 2, record: { v: 1 } },
      { file: 'x.jsonl', files: 2, record: { v: 2 } },
      { file: 'y.jsonl', files: 2, record: { v: 3 } },
    ]);
  });

  it('ends the last line of one process before the next one writes (per_file)', async () => {
    const io = project({ 'd/1.txt': 'a\n', 'd/2.txt': 'b\n' });
    await run(task({ input: { paths: ['d/*.txt'] }, processor: { type: 'shell', command: 'printf "%s" "$(cat)"', script: undefined, per_file: true }, output: { path: 'o.txt' } }), io);
    expect(read(io, 'o.txt')).toBe('a\nb\n');
  });

  it('fails with DATA_NO_INPUT when nothing matches, and writes nothing', async () => {
    const io = project({ 'scripts/process.js': TRANSFORM });
    const err = await rejection(run(task({ input: { paths: ['data/*.json', 'more/**/*.json'] } }), io));
    expect(err).toMatchObject({ code: 'DATA_NO_INPUT', retryable: false });
    expect(err.message).toContain('data/*.json, more/**/*.json');
    expect(existsSync(path.join(io.baseDir, 'processed'))).toBe(false);
  });

  it('writes an empty output for no match with allow_empty (the processor still runs once, on no records)', async () => {
    const io = project({ 'scripts/process.js': 'process.stdin.resume(); process.stdin.on("end", () => console.log(JSON.stringify({ summary: 0 })));' });
    const result = await run(task({ input: { allow_empty: true } }), io);
    expect(JSON.parse(read(io, 'processed/output.json'))).toEqual([{ summary: 0 }]);
    expect(result.outputs).toMatchObject({ files: 0, records_in: 0, records_out: 1 });
    const empty = project({});
    await run(task({ input: { allow_empty: true }, processor: { type: 'shell', command: 'cat', script: undefined, per_file: true } }), empty);
    expect(read(empty, 'processed/output.json')).toBe('[]\n');
  });

  it('a failing processor fails the task and leaves the previous output as it was, with no temporary file', async () => {
    const io = project({ 'data/a.json': '[{"name": "x"}]', 'processed/output.json': '["previous"]\n', 'scripts/process.js': 'console.log("{}"); console.error("boom: bad record"); process.exit(4);' });
    const err = await rejection(run(task(), io));
    expect(err).toMatchObject({ code: 'EXEC_EXIT_CODE', exit_code: 4, stderr_tail: 'boom: bad record' });
    expect(err.message).toBe('processor exited with code 4');
    expect(readdirSync(path.join(io.baseDir, 'processed'))).toEqual(['output.json']);
    expect(read(io, 'processed/output.json')).toBe('["previous"]\n');
  });

  it('fails with DATA_OUTPUT, at the line, when the processor writes a line that is not JSON to a JSON output', async () => {
    const io = project({ 'data/a.json': '[1, 2]', 'scripts/process.js': 'console.log("{\\"ok\\":1}"); console.log("processing 2 records");' });
    const err = await rejection(run(task(), io));
    expect(err).toMatchObject({ code: 'DATA_OUTPUT', retryable: false });
    expect(err.message).toMatch(/^line 2 of the processor's output is not JSON: "processing 2 records"; write one JSON value per line/);
    expect(existsSync(path.join(io.baseDir, 'processed/output.json'))).toBe(false);
  });

  it('fails with DATA_INPUT when a .json input is not JSON', async () => {
    const io = project({ 'data/a.json': '[{"name": "x"},, {}]', 'scripts/process.js': TRANSFORM });
    const err = await rejection(run(task(), io));
    expect(err).toMatchObject({ code: 'DATA_INPUT', retryable: false });
    expect(err.message).toContain(`the input ${path.join(io.baseDir, 'data/a.json')} is not valid JSON`);
    expect(readdirSync(path.join(io.baseDir, 'processed'))).toEqual([]);
  });

  it('never reads its own output as input, even when the glob matches it', async () => {
    const io = project({ 'data/a.json': '[{"name": "a"}]', 'data/all.json': '[{"name": "old output"}]', 'scripts/process.js': TRANSFORM });
    const result = await run(task({ output: { path: 'data/all.json' } }), io);
    expect(JSON.parse(read(io, 'data/all.json'))).toEqual([{ name: 'A', seen: true }]);
    expect(result.outputs.files).toBe(1);
  });

  it("adds what the processor writes to $BATON_OUTPUT to the task's outputs", async () => {
    const io = project({ 'data/a.json': '[1, 2, 3]', 'scripts/process.py': 'import os, sys\nn = 0\nfor line in sys.stdin:\n    n += 1\n    print(int(line) * 10)\nopen(os.environ["BATON_OUTPUT"], "a").write(f"sum_seen={n}\\n")\n' });
    const result = await run(task({ processor: { type: 'python', script: 'scripts/process.py' }, output: { path: 'x.jsonl' } }), io);
    expect(read(io, 'x.jsonl')).toBe('10\n20\n30\n');
    expect(result.outputs).toMatchObject({ sum_seen: '3', records_out: 3 });
  });

  it('runs inline code and passes args', async () => {
    const io = project({ 'data/a.json': '["x"]' });
    await run(task({ processor: { type: 'javascript', script: undefined, code: 'process.stdin.resume(); console.log(JSON.stringify(process.argv.slice(2)));', args: ['--mode', 'fast'] } }), io);
    expect(JSON.parse(read(io, 'processed/output.json'))).toEqual([['--mode', 'fast']]);
  });

  it('on cancel stops the processor, writes no output and removes its temporary file', async () => {
    const io = project({ 'data/a.json': '[1]', 'scripts/process.js': 'console.log("1"); setInterval(() => {}, 1000);' });
    const ac = new AbortController();
    const running = createDataProcessorExecutor({ killGraceMs: 200 }).run(task(), io, ac.signal);
    // Its temporary file exists, and has the line the processor wrote before it hangs.
    await waitFor(() => existsSync(path.join(io.baseDir, 'processed')) && readdirSync(path.join(io.baseDir, 'processed')).some((name) => read(io, `processed/${name}`).includes('1')));
    ac.abort(new Error('cancelled'));
    expect(await rejection(running)).toMatchObject({ code: 'EXEC_ABORTED' });
    expect(readdirSync(path.join(io.baseDir, 'processed'))).toEqual([]);
  });

  it('removes a temporary file an earlier attempt of the task left (baton died while writing), and no other', async () => {
    const io = project({ 'data/a.json': '[1]', 'scripts/process.js': 'process.stdin.pipe(process.stdout);', 'processed/unrelated.tmp': 'keep' });
    writeFileSync(`${tempPrefix(path.join(io.baseDir, 'processed/output.json'), io.runId, io.taskKey)}1.tmp`, '[half');
    await run(task(), { ...io, attempt: 2 });
    expect(readdirSync(path.join(io.baseDir, 'processed')).sort()).toEqual(['output.json', 'unrelated.tmp']);
    expect(JSON.parse(read(io, 'processed/output.json'))).toEqual([1]);
  });

  it('fails with DATA_RECORD_TOO_LONG for a line longer than 64 MiB, rather than holding it', async () => {
    const io = project({ 'data/huge.jsonl': `{"n":1}\n"${'x'.repeat(65 * 1024 * 1024)}"\n` });
    const err = await rejection(run(task({ input: { paths: ['data/*.jsonl'] }, processor: { type: 'shell', command: 'cat > /dev/null', script: undefined } }), io));
    expect(err).toMatchObject({ code: 'DATA_RECORD_TOO_LONG', retryable: false });
    expect(err.message).toMatch(/^record 2 of .*huge\.jsonl is longer than 64 MiB/);
  });

  it('fails with EXEC_SPAWN when the processor script is missing', async () => {
    const io = project({ 'data/a.json': '[1]' });
    const err = await rejection(run(task(), io));
    expect(err).toMatchObject({ code: 'EXEC_SPAWN', retryable: false });
    expect(err.message).toContain('script file not found');
  });
});
