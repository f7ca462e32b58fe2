import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, batonAsync, tempDir, until } from './helpers.js';

/**
 * A reader slower than baton (a pipe into a pager, a slow tool) must not make baton hold
 * what it has not read: 200 MB of task output, read late, leave baton's peak memory far
 * below 200 MB. `baton logs` waits for the reader; `baton run --follow` never slows the run
 * for it, and says how many lines it skipped instead.
 */
const LINES = 2_000_000;
const LINE = '0123456789'.repeat(10).slice(0, 99); // 100 bytes with its line break: 200 MB in all
const BOUND_MB = 150;

function project() {
  const dir = tempDir('baton-backpressure-');
  writeFileSync(
    path.join(dir, 'flow.yaml'),
    `name: big-output
tasks:
  - id: talk
    command: yes ${LINE} | head -n ${LINES}
`,
  );
  const env = { BATON_HOME: path.join(dir, '.baton') };
  const runs = () => JSON.parse(baton(['history', '--json'], { cwd: dir, env }).stdout) as { run_id: string; status: string }[];
  return { dir, env, runs };
}

/** Samples a process's peak resident memory (VmHWM) until it exits; the last sample is the peak. */
function peakRss(pid: number) {
  let peakKb = 0;
  const file = `/proc/${pid}/status`;
  const sample = () => {
    try {
      const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
      peakKb = Math.max(peakKb, kb);
    } catch {
      // gone
    }
  };
  const timer = setInterval(sample, 50);
  return {
    mb: () => {
      sample();
      return peakKb / 1024;
    },
    stop: () => clearInterval(timer),
  };
}

/** Reads a paused stream to its end, counting bytes and lines, keeping only the lines `keep` wants. */
function drain(stream: NodeJS.ReadableStream, keep: (line: string) => boolean) {
  let bytes = 0;
  let lines = 0;
  let rest = '';
  const kept: string[] = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    bytes += chunk.length;
    const parts = (rest + chunk).split('\n');
    rest = parts.pop()!;
    lines += parts.length;
    for (const line of parts) if (keep(line)) kept.push(line);
  });
  stream.resume();
  return () => ({ bytes, lines, kept });
}

const linux = existsSync('/proc/self/status');

describe.skipIf(!linux)('a slow reader of baton', () => {
  it(`run --follow: the run goes on at its own pace, memory stays under ${BOUND_MB} MB, skipped lines are counted`, async () => {
    const p = project();
    const run = batonAsync(['run', 'flow.yaml', '--follow'], { cwd: p.dir, env: p.env });
    // batonAsync reads stdout as it comes: stop that, so the pipe fills and baton must cope.
    run.child.stdout.removeAllListeners('data');
    run.child.stdout.pause();
    const rss = peakRss(run.child.pid!);
    try {
      // The run ends while nobody reads: the reader's pace does not hold it back.
      await until(() => p.runs()[0]?.status === 'succeeded', 120_000, 'the run to end while its output is not read');
      const read = drain(run.child.stdout, (line) => !line.startsWith('talk |'));
      const result = await run.done;
      expect(result.status).toBe(0);
      const peak = rss.mb();
      expect(peak).toBeLessThan(BOUND_MB);
      const { kept, lines } = read();
      const id = p.runs()[0].run_id;
      const skipped = kept
        .map((line) => /^\.\.\. (\d+) lines? skipped \(the reader was slower than the run\); see `baton logs (\w+)`$/.exec(line))
        .filter((m) => m !== null);
      expect(skipped.length).toBeGreaterThan(0);
      expect(skipped.every((m) => m![2] === id)).toBe(true);
      // Every line was either shown or counted as skipped (a line split between two chunks
      // of output shows as two, so there may be a few more).
      const shown = lines - kept.length;
      expect(shown + skipped.reduce((n, m) => n + Number(m![1]), 0)).toBeGreaterThanOrEqual(LINES);
      expect(kept.join('\n')).toMatch(/talk +succeeded/);
    } finally {
      rss.stop();
    }
  }, 180_000);

  it(`logs: waits for the reader, prints every line, memory stays under ${BOUND_MB} MB`, async () => {
    const p = project();
    expect(baton(['run', 'flow.yaml', '--view', 'none'], { cwd: p.dir, env: p.env }).status).toBe(0);
    const id = p.runs()[0].run_id;
    const logs = batonAsync(['logs', id], { cwd: p.dir, env: p.env });
    logs.child.stdout.removeAllListeners('data');
    logs.child.stdout.pause();
    const rss = peakRss(logs.child.pid!);
    try {
      // Long enough for baton to read the whole log had it not waited for the reader.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      const read = drain(logs.child.stdout, () => false);
      const result = await logs.done;
      expect(result.status).toBe(0);
      expect(rss.mb()).toBeLessThan(BOUND_MB);
      expect(read().lines).toBe(LINES);
    } finally {
      rss.stop();
    }
  }, 180_000);
});
