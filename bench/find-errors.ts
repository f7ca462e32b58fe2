/**
 * The built-in skill find-errors over a generated 1 GB log (issue 9: a 1 GB log in bounded
 * memory, only the grouped summary back): wall time, throughput, and the script's peak RSS,
 * against the same script over a one-line log (what Node itself costs) and `grep -c` of the
 * same lines (what reading the file costs). The peak is the child's own getrusage maxRSS,
 * printed at exit by a module loaded with --import (/usr/bin/time may not be there).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface FindErrorsFigures {
  seconds: number;
  mbPerSecond: number;
  peakMb: number;
  /** Peak RSS of the same script over a one-line log. */
  baselineMb: number;
  /** `grep -c` of the default pattern over the same file; undefined without grep. */
  grepSeconds?: number;
  bytes: number;
}

const PEAK = 'bench-peak-rss-kb=';

/** Writes ~`bytes` of log (2% ERROR lines of 3 types, 1,000-line blocks) and runs find-errors over it. */
export function findErrorsFigures(script: string, bytes: number): FindErrorsFigures {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-find-errors-'));
  try {
    const block: string[] = [];
    for (let i = 0; i < 1000; i++) {
      if (i % 100 === 7) block.push(`2026-11-22T14:${String(i % 60).padStart(2, '0')}:00.000Z ERROR api      upstream returned 502 from billing path=/v1/checkout id=${i * 7919}`);
      else if (i % 100 === 53) block.push(`2026-11-22T14:${String(i % 60).padStart(2, '0')}:00.000Z ERROR worker   job ${i * 31} failed: java.net.SocketTimeoutException: read timed out`);
      else block.push(`2026-11-22T14:${String(i % 60).padStart(2, '0')}:00.000Z INFO  api      request completed path=/v1/orders/${i * 13} status=200 ms=${i % 97}`);
    }
    const chunk = Buffer.from(block.join('\n') + '\n');
    const blocks = Math.ceil(bytes / chunk.length);
    const log = path.join(dir, 'big.log');
    const fd = openSync(log, 'w');
    for (let i = 0; i < blocks; i++) writeSync(fd, chunk);
    closeSync(fd);
    const small = path.join(dir, 'small.log');
    writeFileSync(small, block[7] + '\n');
    const peak = path.join(dir, 'peak.mjs');
    writeFileSync(peak, `process.on('exit', () => process.stderr.write('\\n${PEAK}' + process.resourceUsage().maxRSS + '\\n'));\n`);

    const run = (file: string) => {
      const started = performance.now();
      const r = spawnSync(process.execPath, ['--import', pathToFileURL(peak).href, script], {
        env: { ...process.env, INPUT_PATH: file, BATON_OUTPUT: path.join(dir, 'outputs.json') },
        encoding: 'utf8',
      });
      const ms = performance.now() - started;
      if (r.status !== 0) throw new Error(`find-errors failed (${r.status}): ${r.stderr}`);
      const kb = Number(new RegExp(`${PEAK}(\\d+)`).exec(r.stderr)?.[1]);
      return { ms, peakMb: kb / 1024 };
    };
    const baseline = run(small);
    const big = run(log);
    const { total } = JSON.parse(readFileSync(path.join(dir, 'outputs.json'), 'utf8'));
    if (total !== blocks * 20) throw new Error(`find-errors counted ${total} errors, not ${blocks * 20}: it is broken`);
    const grepStarted = performance.now();
    const grep = spawnSync('grep', ['-c', '-E', '\\b(ERROR|FATAL|CRITICAL)\\b', log], { encoding: 'utf8' });
    const grepSeconds = grep.status === 0 ? (performance.now() - grepStarted) / 1000 : undefined;
    const size = blocks * chunk.length;
    return { seconds: big.ms / 1000, mbPerSecond: size / 1048576 / (big.ms / 1000), peakMb: big.peakMb, baselineMb: baseline.peakMb, grepSeconds, bytes: size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
