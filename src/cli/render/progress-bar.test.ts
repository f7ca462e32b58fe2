import { describe, expect, it } from 'vitest';
import { etaMs, iterationProgress } from '../../engine/progress-view.js';
import { bar, PLAIN_QUIET_MS, PlainProgress, progressText } from './progress-bar.js';

describe('progress in the human views', () => {
  it('estimates the time left at the rate so far, once there is a rate to go by', () => {
    expect(etaMs(25, 10_000)).toBe(30_000);
    expect(etaMs(100, 10_000)).toBe(0);
    expect(etaMs(0, 10_000)).toBeUndefined();
    expect(etaMs(50, 500)).toBeUndefined();
    expect(etaMs(undefined, 10_000)).toBeUndefined();
  });

  it('draws a bar in tenths, the numbers, the time left and the message', () => {
    expect(bar(0)).toBe('[----------]');
    expect(bar(45)).toBe('[####------]');
    expect(bar(100)).toBe('[##########]');
    expect(progressText({ percent: 40, done: 48, total: 120, message: 'copying\x1b[2J b.tar', source: 'task', eta_ms: 18_000 }, true)).toBe(
      '[####------] 40% 48/120 ETA 18.0s copying\\x1b[2J b.tar',
    );
    expect(progressText(iterationProgress(18, 30, 'running', 0, 6_000), false)).toBe('60% 18/30 iterations ETA 4.0s');
  });

  it('prints a task again in the plain view when it crosses a tenth, or changed after a quiet while', () => {
    const plain = new PlainProgress();
    expect(plain.take('copy', 3, '3%', 0)).toBe(true);
    expect(plain.take('copy', 7, '7%', 1000)).toBe(false);
    expect(plain.take('copy', 12, '12%', 2000)).toBe(true);
    expect(plain.take('copy', 14, '14%', 2000 + PLAIN_QUIET_MS)).toBe(true);
    expect(plain.take('copy', 14, '14%', 3000 + 2 * PLAIN_QUIET_MS)).toBe(false);
    plain.forget('copy');
    expect(plain.take('copy', 14, '14%', 3000 + 2 * PLAIN_QUIET_MS)).toBe(true);
  });
});
