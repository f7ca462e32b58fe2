import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProgressRecorder, type ProgressFields } from './progress-recorder.js';

describe('progress recorder', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  const recorder = () => {
    const recorded: ProgressFields[] = [];
    return { r: new ProgressRecorder((fields) => recorded.push(fields), 1000), recorded };
  };

  it('records 10,000 reports within a second as the first and the last', () => {
    const { r, recorded } = recorder();
    for (let i = 1; i <= 10_000; i++) r.report({ done: i, total: 10_000, percent: i / 100 });
    expect(recorded).toEqual([{ done: 1, total: 10_000, percent: 0.01 }]);
    r.finish();
    expect(recorded).toEqual([
      { done: 1, total: 10_000, percent: 0.01 },
      { done: 10_000, total: 10_000, percent: 100 },
    ]);
  });

  it('records a held report when its second is up, though the task says nothing more', () => {
    const { r, recorded } = recorder();
    r.report({ percent: 10 });
    vi.advanceTimersByTime(300);
    r.report({ percent: 40 });
    expect(recorded).toEqual([{ percent: 10 }]);
    vi.advanceTimersByTime(700);
    expect(recorded).toEqual([{ percent: 10 }, { percent: 40 }]);
    // Nothing new at the end: nothing more recorded.
    r.finish();
    expect(recorded).toHaveLength(2);
  });

  it('records nothing for a report equal to the last recorded, and keeps the message until replaced', () => {
    const { r, recorded } = recorder();
    r.report({ percent: 10, message: 'copying a' });
    vi.advanceTimersByTime(2000);
    r.report({ percent: 10 });
    r.report({ percent: 10, message: 'copying a' });
    vi.advanceTimersByTime(2000);
    expect(recorded).toEqual([{ percent: 10, message: 'copying a' }]);
    r.report({ message: 'copying b' });
    vi.advanceTimersByTime(2000);
    r.report({ percent: 20, message: '' });
    expect(recorded).toEqual([{ percent: 10, message: 'copying a' }, { percent: 10, message: 'copying b' }, { percent: 20 }]);
  });

  it('records nothing held back when the attempt was interrupted', () => {
    const { r, recorded } = recorder();
    r.report({ percent: 10 });
    r.report({ percent: 20 });
    r.finish(false);
    vi.advanceTimersByTime(5000);
    expect(recorded).toEqual([{ percent: 10 }]);
  });
});
