import { describe, expect, it } from 'vitest';
import { Tail } from './tail.js';

describe('Tail', () => {
  it('keeps the last max characters, however much was appended', () => {
    const tail = new Tail(10);
    for (let i = 0; i < 10_000; i++) tail.append(`${i % 10}`);
    expect(tail.toString()).toBe('0123456789');
    expect(tail.total).toBe(10_000);
    tail.append('x'.repeat(1_000_000));
    expect(tail.toString()).toBe('x'.repeat(10));
  });

  it('gives the last lines, bounded in characters too', () => {
    const tail = new Tail(1000);
    tail.append('a\nb\nc\nd\n');
    expect(tail.lastLines(2)).toBe('c\nd');
    expect(tail.lastLines(10)).toBe('a\nb\nc\nd');
    expect(tail.lastLines(2, 2)).toBe('\nd');
    expect(new Tail(10).lastLines(5)).toBe('');
  });

  it('never starts with half a surrogate pair', () => {
    const tail = new Tail(3);
    tail.append('a😀😀');
    expect(tail.toString()).toBe('😀');
  });
});
