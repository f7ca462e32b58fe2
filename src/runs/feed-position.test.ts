import { describe, expect, it } from 'vitest';
import { attemptId, encodeAttempt, encodePosition, parsePosition } from './feed-position.js';

describe('feed positions', () => {
  it('are the seq alone with no attempt going, and carry each going attempt in short text', () => {
    expect(encodePosition(12, [])).toBe('12');
    const places = [
      { task: 'build', attempt: 1, next: 3000 },
      { task: 'envs[qa] a.b:c,d', attempt: 2, next: 0 },
    ];
    const text = encodePosition(12, places.map(encodeAttempt));
    expect(text).toBe('12.build:1:2bc,envs%5Bqa%5D%20a.b%3Ac%2Cd:2:0');
    expect(parsePosition(text)).toEqual({ position: { seq: 12, attempts: new Map(places.map((p) => [attemptId(p.task, p.attempt), p])) } });
    expect(parsePosition('0')).toEqual({ position: { seq: 0, attempts: new Map() } });
  });

  it('says why a text is not a position', () => {
    const problem = (text: string) => {
      const parsed = parsePosition(text);
      return 'problem' in parsed ? parsed.problem : undefined;
    };
    expect(problem('')).toMatch(/event seq/);
    expect(problem('-1')).toMatch(/event seq/);
    expect(problem('1'.repeat(16))).toMatch(/event seq/);
    expect(problem('3.')).toMatch(/task:attempt:position/);
    expect(problem('3.a:1')).toMatch(/task:attempt:position/);
    expect(problem('3.:1:0')).toMatch(/task key is 1 to/);
    expect(problem('3.%E0%A4%A:1:0')).toMatch(/percent-encoded/);
    expect(problem('3.a:x:0')).toMatch(/attempt is a number/);
    expect(problem('3.a:1:Z')).toMatch(/base 36/);
    expect(problem('3.a:1:zzzzzzzzzzz')).toMatch(/base 36/);
    expect(problem('3.a:1:0,a:1:5')).toMatch(/named twice/);
  });
});
