import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { T0, useStore, type MakeStore } from './contract-fixtures.js';
import { MAX_LINE } from './logs/line-joiner.js';
import type { LogLine } from './store.js';

const brief = (lines: LogLine[]) => lines.map((l) => `${l.task}#${l.attempt} ${l.stream === 'stdout' ? 'o' : 'e'} ${l.text}`);

export function logContract(makeStore: MakeStore): void {
  const store = useStore(makeStore);
  let now = T0;
  /** Output written after this call is stamped `at`. */
  const clock = (at: number) => vi.setSystemTime((now = at));

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    clock(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('joins chunks into lines, per stream, whatever the chunks split', async () => {
    const logs = store().logs;
    logs.write('R1', 'a', 1, 'stdout', 'hel');
    logs.write('R1', 'a', 1, 'stderr', 'warn');
    logs.write('R1', 'a', 1, 'stdout', 'lo\nwor');
    logs.write('R1', 'a', 1, 'stdout', 'ld\r\n\nlast');
    logs.write('R1', 'a', 1, 'stderr', 'ing\r');
    logs.write('R1', 'a', 1, 'stderr', '\n');
    expect(brief((await logs.read('R1')).lines)).toEqual(['a#1 o hello', 'a#1 o world', 'a#1 o ', 'a#1 e warning']);
    logs.end('R1', 'a', 1);
    expect(brief((await logs.read('R1')).lines)).toEqual(['a#1 o hello', 'a#1 o world', 'a#1 o ', 'a#1 e warning', 'a#1 o last']);
    expect(brief((await logs.read('R2')).lines)).toEqual([]);
  });

  it('keeps the time and stream of every line and merges tasks by time', async () => {
    const logs = store().logs;
    clock(T0 + 10);
    logs.write('R1', 'build', 1, 'stdout', 'b1\n');
    clock(T0 + 20);
    logs.write('R1', 'envs[qa]', 1, 'stdout', 'q1\nq2\n');
    clock(T0 + 30);
    logs.write('R1', 'build', 1, 'stderr', 'b2\n');
    clock(T0 + 40);
    logs.write('R1', 'envs[qa]', 2, 'stdout', 'q3\n');
    logs.write('R2', 'build', 1, 'stdout', 'other run\n');
    const { lines } = await logs.read('R1');
    expect(brief(lines)).toEqual(['build#1 o b1', 'envs[qa]#1 o q1', 'envs[qa]#1 o q2', 'build#1 e b2', 'envs[qa]#2 o q3']);
    expect(lines.map((l) => l.at)).toEqual([T0 + 10, T0 + 20, T0 + 20, T0 + 30, T0 + 40]);
    expect(brief((await logs.read('R1', { task: 'envs[qa]' })).lines)).toEqual(['envs[qa]#1 o q1', 'envs[qa]#1 o q2', 'envs[qa]#2 o q3']);
    expect(brief((await logs.read('R1', { since: T0 + 30 })).lines)).toEqual(['build#1 e b2', 'envs[qa]#2 o q3']);
    expect(brief((await logs.read('R1', { task: 'envs' })).lines)).toEqual([]);
  });

  it('keeps task keys apart, whatever characters they hold', async () => {
    const logs = store().logs;
    const keys = ['deploy', 'Deploy', 'envs[qa]', 'a/b', '../up', 'step:fetch#1', 'ünï cødé', 'x'.repeat(300), '.hidden', 'a.1'];
    keys.forEach((key, i) => logs.write('R1', key, 1, 'stdout', `line ${i}\n`));
    for (const [i, key] of keys.entries()) {
      expect(brief((await logs.read('R1', { task: key })).lines)).toEqual([`${key}#1 o line ${i}`]);
    }
    expect((await logs.read('R1')).lines).toHaveLength(keys.length);
  });

  it('returns the last lines with tail, after the other filters', async () => {
    const logs = store().logs;
    for (let i = 0; i < 10; i++) {
      clock(T0 + i);
      logs.write('R1', i % 2 ? 'odd' : 'even', 1, 'stdout', `${i}\n`);
    }
    expect((await logs.read('R1', { tail: 3 })).lines.map((l) => l.text)).toEqual(['7', '8', '9']);
    expect((await logs.read('R1', { tail: 3, task: 'even' })).lines.map((l) => l.text)).toEqual(['4', '6', '8']);
    expect((await logs.read('R1', { tail: 100, since: T0 + 8 })).lines.map((l) => l.text)).toEqual(['8', '9']);
    expect((await logs.read('R1', { tail: 0 })).lines).toEqual([]);
  });

  it('follows with a cursor: each read returns only what was written since', async () => {
    const logs = store().logs;
    logs.write('R1', 'a', 1, 'stdout', 'one\n');
    const first = await logs.read('R1', { tail: 10 });
    expect(first.lines.map((l) => l.text)).toEqual(['one']);
    expect((await logs.read('R1', { cursor: first.cursor })).lines).toEqual([]);
    clock(T0 + 5);
    logs.write('R1', 'a', 1, 'stdout', 'two\nthr');
    logs.write('R1', 'b', 1, 'stderr', 'b-one\n');
    const second = await logs.read('R1', { cursor: first.cursor });
    expect(brief(second.lines)).toEqual(['a#1 o two', 'b#1 e b-one']);
    // The partial line comes once it is complete, and only once.
    logs.write('R1', 'a', 1, 'stdout', 'ee\n');
    const third = await logs.read('R1', { cursor: second.cursor });
    expect(third.lines.map((l) => l.text)).toEqual(['three']);
    expect((await logs.read('R1', { cursor: third.cursor })).lines).toEqual([]);
    // A tail read from a cursor: the last lines among the new ones.
    logs.write('R1', 'a', 2, 'stdout', '1\n2\n3\n');
    const fourth = await logs.read('R1', { cursor: third.cursor, tail: 2 });
    expect(fourth.lines.map((l) => l.text)).toEqual(['2', '3']);
    expect((await logs.read('R1', { cursor: fourth.cursor })).lines).toEqual([]);
  });

  it('writes out a partial last line when the attempt ends, and on close', async () => {
    const logs = store().logs;
    logs.write('R1', 'a', 1, 'stdout', 'no newline');
    logs.write('R1', 'b', 1, 'stderr', 'pending');
    expect((await logs.read('R1')).lines).toEqual([]);
    logs.end('R1', 'a', 1);
    logs.end('R1', 'a', 1);
    logs.end('R1', 'zzz', 1);
    expect(brief((await logs.read('R1')).lines)).toEqual(['a#1 o no newline']);
    await logs.close();
    expect(brief((await logs.read('R1')).lines)).toEqual(['a#1 o no newline', 'b#1 e pending']);
  });

  it('cuts a line longer than the limit into pieces, losing nothing', async () => {
    const logs = store().logs;
    const long = 'x'.repeat(MAX_LINE * 2 + 10);
    logs.write('R1', 'a', 1, 'stdout', long.slice(0, 1000));
    logs.write('R1', 'a', 1, 'stdout', long.slice(1000));
    logs.write('R1', 'a', 1, 'stdout', '\nshort\n');
    const texts = (await logs.read('R1')).lines.map((l) => l.text);
    expect(texts.every((t) => t.length <= MAX_LINE)).toBe(true);
    expect(texts.slice(0, -1).join('')).toBe(long);
    expect(texts.at(-1)).toBe('short');
  });

  it('streams every line in time order with forEach, and its cursor follows on', async () => {
    const logs = store().logs;
    for (let i = 0; i < 50; i++) {
      clock(T0 + i);
      logs.write('R1', `t${i % 3}`, 1, i % 2 ? 'stderr' : 'stdout', `${i}\n`);
    }
    const seen: number[] = [];
    const cursor = await logs.forEach('R1', (line) => seen.push(Number(line.text)));
    expect(seen).toEqual([...Array(50).keys()]);
    const since: string[] = [];
    await logs.forEach('R1', (line) => since.push(line.text), { since: T0 + 47, task: 't0' });
    expect(since).toEqual(['48']);
    logs.write('R1', 't1', 1, 'stdout', 'after\n');
    expect((await logs.read('R1', { cursor })).lines.map((l) => l.text)).toEqual(['after']);
    expect(now).toBe(T0 + 49);
  });

  it('stops forEach before the line its callback refuses, and resumes there with the cursor', async () => {
    const logs = store().logs;
    for (let i = 0; i < 30; i++) {
      clock(T0 + i);
      logs.write('R1', `t${i % 3}`, 1 + (i % 2), 'stdout', `${i}\n`);
    }
    // Pages of at most 7 lines, each read from the cursor the one before returned.
    const pages: number[][] = [];
    let cursor: Awaited<ReturnType<typeof logs.forEach>> | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page: number[] = [];
      cursor = await logs.forEach('R1', (line) => (page.length === 7 ? false : page.push(Number(line.text))), cursor === undefined ? {} : { cursor });
      if (page.length === 0) break;
      pages.push(page);
    }
    expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 2]);
    expect(pages.flat()).toEqual([...Array(30).keys()]);
    // A task's lines, paged the same way.
    const first: string[] = [];
    const at = await logs.forEach('R1', (line) => (first.length === 2 ? false : first.push(line.text)), { task: 't1' });
    const rest: string[] = [];
    await logs.forEach('R1', (line) => rest.push(line.text), { task: 't1', cursor: at });
    expect([...first, ...rest]).toEqual(['1', '4', '7', '10', '13', '16', '19', '22', '25', '28']);
  });
  it('gives each line the position its attempt resumes at after it, and skips an attempt read to its end', async () => {
    const logs = store().logs;
    for (let i = 0; i < 12; i++) {
      clock(T0 + i);
      logs.write('R1', `t${i % 3}`, 1, 'stdout', `${i}\n`);
    }
    // Positions taken line by line, as a live reader keeps them: stop after the 7th line.
    const at: Record<string, number> = {};
    const seen: string[] = [];
    await logs.forEach('R1', (line, next) => {
      if (seen.length === 7) return false;
      seen.push(line.text);
      at[logs.cursorKey(line.task, line.attempt)] = next;
      return undefined;
    });
    const rest: string[] = [];
    await logs.forEach('R1', (line) => rest.push(line.text), { cursor: at });
    expect([...seen, ...rest]).toEqual([...Array(12).keys()].map(String));
    // t1 read to its end: its lines, old and new, are left out; the others come from their positions.
    logs.write('R1', 't1', 1, 'stdout', 'late\n');
    const skipped: string[] = [];
    await logs.forEach('R1', (line) => skipped.push(line.text), { cursor: { ...at, [logs.cursorKey('t1', 1)]: Number.MAX_SAFE_INTEGER } });
    expect(skipped).toEqual(['8', '9', '11']);
  });

  it('wakes a watch of a run when output is added, and only then', async () => {
    vi.useRealTimers();
    const logs = store().logs;
    logs.write('R0', 'a', 1, 'stdout', 'another run\n');
    const watch = logs.watch('R1');
    try {
      // Another run's output does not wake it.
      const quiet = Date.now();
      const asleep = watch.changed({ timeoutMs: 100 });
      logs.write('R0', 'a', 1, 'stdout', 'more\n');
      await asleep;
      expect(Date.now() - quiet).toBeGreaterThanOrEqual(90);
      const woken = watch.changed({ timeoutMs: 60_000 });
      logs.write('R1', 'a', 1, 'stdout', 'first\n');
      await woken;
      // Written between two waits: the next one returns at once.
      logs.write('R1', 'a', 1, 'stdout', 'second\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
      await watch.changed({ timeoutMs: 60_000 });
      const stop = new AbortController();
      const stopped = watch.changed({ timeoutMs: 60_000, signal: stop.signal });
      stop.abort();
      await stopped;
    } finally {
      watch.close();
    }
  });
}
