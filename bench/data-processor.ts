/**
 * A data_processor over a generated 1 GB input (issue 13: "a 1 GB input works in bounded
 * memory"): `baton run` of one task whose processor (a Node script reading records line by
 * line) keeps half of them. Measured: wall time, the peak RSS of the baton process (VmHWM,
 * sampled from /proc: it streams the file, parses it when it is JSON, and writes the output)
 * and of the processor (its own getrusage maxRSS, handed back as an output), each against the
 * same run over a one-record input. Once as one JSON array (stream-parsed), once as JSON
 * Lines (passed through). The files are written to a temporary folder and removed after.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface DataProcessorFigures {
  format: 'json' | 'jsonl';
  bytes: number;
  records: number;
  seconds: number;
  batonPeakMb: number;
  batonBaselineMb: number;
  processorPeakMb: number;
  processorBaselineMb: number;
}

/** What docs/executors.md asks of a Node processor: one line at a time, waiting for stdout to drain. */
const PROCESSOR = `import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const record = JSON.parse(line);
  if (record.n % 2 !== 0) continue;
  if (!process.stdout.write(JSON.stringify({ n: record.n, words: record.text.split(' ').length }) + '\\n')) await once(process.stdout, 'drain');
}
appendFileSync(process.env.BATON_OUTPUT, 'peak_kb=' + process.resourceUsage().maxRSS + '\\n');
`;

/** Both formats; undefined where /proc is missing (the peak of the baton process is read there). */
export async function dataProcessorFigures(baton: string, bytes: number): Promise<DataProcessorFigures[] | undefined> {
  if (process.platform !== 'linux') return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-data-'));
  try {
    writeFileSync(path.join(dir, 'process.mjs'), PROCESSOR);
    const out: DataProcessorFigures[] = [];
    for (const format of ['json', 'jsonl'] as const) {
      const small = path.join(dir, `small.${format}`);
      writeFileSync(small, format === 'json' ? `[${record(0)}]` : `${record(0)}\n`);
      const big = path.join(dir, `big.${format}`);
      const records = writeRecords(big, format, bytes);
      const baseline = await measure(baton, dir, small);
      const measured = await measure(baton, dir, big);
      rmSync(big, { force: true });
      if (measured.records !== records) throw new Error(`the processor got ${measured.records} records of ${records}: it is broken`);
      out.push({ format, bytes, records, seconds: measured.ms / 1000, batonPeakMb: measured.batonKb / 1024, batonBaselineMb: baseline.batonKb / 1024, processorPeakMb: measured.processorKb / 1024, processorBaselineMb: baseline.processorKb / 1024 });
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function record(n: number): string {
  return `{"n": ${n}, "text": "the quick brown fox jumps over the lazy dog ${n}", "tags": ["a", "b", "c"], "nested": {"x": ${n % 7}, "ok": true}}`;
}

/** ~`bytes` of records, 1,000 to a write; how many. */
function writeRecords(file: string, format: 'json' | 'jsonl', bytes: number): number {
  const fd = openSync(file, 'w');
  let written = 0;
  let n = 0;
  if (format === 'json') writeSync(fd, '[\n');
  while (written < bytes) {
    const block: string[] = [];
    for (let i = 0; i < 1000; i++, n++) block.push(format === 'json' ? `${n === 0 ? '' : ',\n'}${record(n)}` : `${record(n)}\n`);
    written += writeSync(fd, block.join(''));
  }
  if (format === 'json') writeSync(fd, '\n]\n');
  closeSync(fd);
  return n;
}

/** `baton run` of the one-task workflow over `input`: wall time, the peaks, records in. */
async function measure(baton: string, dir: string, input: string): Promise<{ ms: number; batonKb: number; processorKb: number; records: number }> {
  const flow = path.join(dir, 'flow.yaml');
  writeFileSync(flow, `name: bench-data\ntasks:\n  - { id: p, type: data_processor, input: ${JSON.stringify(path.basename(input))}, processor: { script: process.mjs }, output: out/result.jsonl }\n`);
  const started = performance.now();
  const child = spawn(process.execPath, [baton, 'run', flow, '--store', 'memory', '--json'], { env: { ...process.env, NO_COLOR: '1', BATON_HOME: path.join(dir, 'home') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let ended = false;
  const done = once(child, 'close').then(([code]) => {
    ended = true;
    return code as number | null;
  });
  let batonKb = 0;
  while (!ended) {
    try {
      // VmHWM: the most it has ever had resident, so a missed sample loses nothing.
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) batonKb = Math.max(batonKb, Number(hwm[1]));
    } catch {
      // Exited meanwhile.
    }
    await sleep(20);
  }
  const code = await done;
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`baton run exited ${code}: ${stderr}${stdout}`);
  const outputs = JSON.parse(stdout).tasks[0].outputs as { peak_kb: string; records_in: number };
  rmSync(path.join(dir, 'out'), { recursive: true, force: true });
  return { ms, batonKb, processorKb: Number(outputs.peak_kb), records: outputs.records_in };
}
