import { describe, expect, it } from 'vitest';
import { MemoryLogStore } from '../store/memory/memory-log-store.js';
import { readLogPage } from './log-pages.js';

/** Reads the whole log forward from the start, `limit` bytes a page; returns the pages' texts. */
async function allPages(logs: MemoryLogStore, limit: number, task?: string): Promise<string[]> {
  const pages: string[] = [];
  let offset = '0';
  for (let guard = 0; guard < 10_000; guard++) {
    const page = await readLogPage(logs, 'R1', { offset, limitBytes: limit, ...(task === undefined ? {} : { task }) });
    expect(page.bytes).toBeLessThanOrEqual(limit);
    expect(Buffer.byteLength(page.text)).toBe(page.bytes);
    pages.push(page.text);
    offset = page.next;
    if (!page.truncated) return pages;
  }
  throw new Error('no end');
}

describe('log pages', () => {
  it('split long lines and multi-byte characters across pages, losing and repeating nothing', async () => {
    const logs = new MemoryLogStore();
    const text = 'héllo wörld ✓ '.repeat(200) + '\nshort\n' + '€'.repeat(3000) + '\n';
    logs.write('R1', 'a', 1, 'stdout', text);
    logs.end('R1', 'a', 1);
    for (const limit of [1024, 1500, 4096]) {
      const pages = await allPages(logs, limit, 'a');
      // No page ends in the middle of a character: each decodes alone.
      for (const page of pages) expect(page).not.toContain('\uFFFD');
      expect(pages.join('')).toBe(text);
    }
  });

  it('reads the whole run with each line saying its task and stream, in time order', async () => {
    const logs = new MemoryLogStore();
    logs.write('R1', 'build', 1, 'stdout', 'compiling\n');
    logs.write('R1', 'build', 1, 'stderr', 'a warning\n');
    logs.write('R1', 'test', 2, 'stdout', 'ok\n');
    const pages = await allPages(logs, 1024);
    expect(pages.join('')).toBe('build | compiling\nbuild ! a warning\ntest#2 | ok\n');
  });

  it('gives the tail by default, cut to the limit, and an offset that follows new output', async () => {
    const logs = new MemoryLogStore();
    for (let i = 0; i < 500; i++) logs.write('R1', 'a', 1, 'stdout', `line ${i}\n`);
    const tail = await readLogPage(logs, 'R1', { task: 'a', limitBytes: 1024 });
    expect(tail.truncated).toBe(true);
    expect(tail.bytes).toBeLessThanOrEqual(1024);
    expect(tail.text.endsWith('line 499\n')).toBe(true);
    const small = await readLogPage(logs, 'R1', { task: 'b', limitBytes: 1024 });
    expect(small).toMatchObject({ text: '', bytes: 0, truncated: false });
    logs.write('R1', 'a', 1, 'stdout', 'later\n');
    const after = await readLogPage(logs, 'R1', { task: 'a', offset: tail.next, limitBytes: 1024 });
    expect(after).toMatchObject({ text: 'later\n', truncated: false });
  });

  it('refuses an offset no page gave', async () => {
    const logs = new MemoryLogStore();
    await expect(readLogPage(logs, 'R1', { offset: 'nonsense', limitBytes: 1024 })).rejects.toMatchObject({ code: 'LOG_BAD_OFFSET' });
    const forged = Buffer.from(JSON.stringify({ c: { x: -1 }, s: 0 })).toString('base64url');
    await expect(readLogPage(logs, 'R1', { offset: forged, limitBytes: 1024 })).rejects.toMatchObject({ code: 'LOG_BAD_OFFSET' });
  });
});
