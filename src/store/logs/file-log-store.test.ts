import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileLogStore } from './file-log-store.js';
import { attemptFileName, runLogDir } from './log-files.js';

const root = mkdtempSync(path.join(tmpdir(), 'baton-file-logs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const freshDir = () => mkdtempSync(path.join(root, 'logs-'));

describe('file log store', () => {
  it('keeps one readable file per attempt, named safely', () => {
    const dir = freshDir();
    const logs = new FileLogStore(dir);
    logs.write('01RUN', 'envs[qa]', 2, 'stdout', 'hello\n');
    logs.write('01RUN', 'envs[qa]', 2, 'stderr', 'oops\n');
    logs.end('01RUN', 'envs[qa]', 2);
    expect(readdirSync(path.join(dir, '01RUN'))).toEqual(['envs%5Bqa%5D.2.log']);
    const text = readFileSync(path.join(dir, '01RUN', 'envs%5Bqa%5D.2.log'), 'utf8');
    expect(text).toMatch(/^baton-log 1 \{"task":"envs\[qa\]","attempt":2\}\n\d+ o hello\n\d+ e oops\n$/);
  });

  it('lets another reader follow while the writer is mid-line', async () => {
    const dir = freshDir();
    const writer = new FileLogStore(dir);
    const reader = new FileLogStore(dir);
    writer.write('R1', 'a', 1, 'stdout', 'first\nsecond hal');
    const one = await reader.read('R1');
    expect(one.lines.map((l) => l.text)).toEqual(['first']);
    writer.write('R1', 'a', 1, 'stdout', 'f\n');
    const two = await reader.read('R1', { cursor: one.cursor });
    expect(two.lines.map((l) => l.text)).toEqual(['second half']);
    // A line half written to disk (a writer died mid-write) is not shown...
    const file = path.join(runLogDir(dir, 'R1'), attemptFileName('a', 1));
    appendFileSync(file, '1700000000000 o torn li');
    expect((await reader.read('R1', { cursor: two.cursor })).lines).toEqual([]);
    expect((await reader.read('R1', { tail: 5 })).lines.map((l) => l.text)).toEqual(['first', 'second half']);
    // ...and a new writer of that attempt cuts it off before appending.
    await writer.close();
    const again = new FileLogStore(dir);
    again.write('R1', 'a', 1, 'stdout', 'after restart\n');
    await again.close();
    expect((await reader.read('R1', { cursor: two.cursor })).lines.map((l) => l.text)).toEqual(['after restart']);
    expect((await reader.read('R1')).lines.map((l) => l.text)).toEqual(['first', 'second half', 'after restart']);
  });

  it('keeps few files open however many attempts write at once', async () => {
    const dir = freshDir();
    const logs = new FileLogStore(dir);
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 400; i++) logs.write('R1', `t${i}`, 1, 'stdout', `round ${round}\n`);
    }
    expect(fds() - before).toBeLessThanOrEqual(130);
    const { lines } = await logs.read('R1', { task: 't7' });
    expect(lines.map((l) => l.text)).toEqual(['round 0', 'round 1', 'round 2']);
    expect((await logs.read('R1')).lines).toHaveLength(1200);
    await logs.close();
    expect(fds()).toBeLessThanOrEqual(before);
  });

  it('streams 200 MB of output to disk without holding it in memory', { timeout: 120_000 }, async () => {
    const dir = freshDir();
    const logs = new FileLogStore(dir);
    // 64 KiB chunks of 100-character lines; the chunks cut lines anywhere.
    const chunk = `${'x'.repeat(100)}\n`.repeat(Math.ceil(65536 / 101)).slice(0, 65536);
    const chunks = 3200;
    const newlinesPerChunk = chunk.split('\n').length - 1;
    const rss = () => process.memoryUsage().rss;
    globalThis.gc?.();
    const start = rss();
    let peak = start;
    for (let i = 0; i < chunks; i++) {
      logs.write('R1', 'talk', 1, 'stdout', chunk);
      if (i % 64 === 0) peak = Math.max(peak, rss());
    }
    logs.end('R1', 'talk', 1);
    peak = Math.max(peak, rss());
    const file = path.join(runLogDir(dir, 'R1'), attemptFileName('talk', 1));
    expect(statSync(file).size).toBeGreaterThan(chunks * 65536);
    let count = 0;
    let chars = 0;
    await logs.forEach('R1', (line) => {
      count++;
      chars += line.text.length;
      if (count % 100_000 === 0) peak = Math.max(peak, rss());
    });
    const expectedLines = chunks * newlinesPerChunk + 1;
    expect(count).toBe(expectedLines);
    expect(chars).toBe(chunks * 65536 - chunks * newlinesPerChunk);
    const tail = await logs.read('R1', { tail: 3 });
    expect(tail.lines).toHaveLength(3);
    peak = Math.max(peak, rss());
    expect((peak - start) / 2 ** 20).toBeLessThan(60);
  });
});
