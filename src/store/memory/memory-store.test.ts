import { describe, expect, it } from 'vitest';
import { describeStoreContract } from '../contract.js';
import { createMemoryStore, MemoryLogStore } from './memory-store.js';

describeStoreContract('memory', () => createMemoryStore(), { projectsOnAppend: false });

describe('memory log store', () => {
  it('keeps only the newest output of an attempt beyond its bound', async () => {
    const logs = new MemoryLogStore(1000);
    for (let i = 0; i < 500; i++) logs.write('R1', 'a', 1, 'stdout', `line ${String(i).padStart(3, '0')}\n`);
    const { lines, cursor } = await logs.read('R1');
    expect(lines.length).toBeLessThanOrEqual(1000 / 8);
    expect(lines.at(-1)?.text).toBe('line 499');
    logs.write('R1', 'a', 1, 'stdout', 'next\n');
    expect((await logs.read('R1', { cursor })).lines.map((l) => l.text)).toEqual(['next']);
  });
});
