/**
 * A task's progress in the human views: `[######----] 60% 72/120 ETA 8.0s copying b.tar`,
 * and when the plain view (not a terminal) prints a line for it: each time it crosses a
 * tenth, and otherwise at most every PLAIN_QUIET_MS, so a log stays a few lines per task.
 */
import type { ShownProgress } from '../../engine/progress-view.js';
import { duration } from './format.js';
import { visible } from './visible.js';

const BAR_CELLS = 10;

/** `[######----]`: the percentage in tenths. */
export function bar(percent: number): string {
  const full = Math.max(0, Math.min(BAR_CELLS, Math.floor(percent / (100 / BAR_CELLS))));
  return `[${'#'.repeat(full)}${'-'.repeat(BAR_CELLS - full)}]`;
}

/** `60% 72/120 iterations ETA 8.0s copying b.tar`, with the bar in front when asked. */
export function progressText(shown: Omit<ShownProgress, 'at'>, withBar: boolean): string {
  const parts: string[] = [];
  if (shown.percent !== undefined) {
    if (withBar) parts.push(bar(shown.percent));
    parts.push(`${+shown.percent.toFixed(1)}%`);
  }
  if (shown.done !== undefined && shown.total !== undefined) parts.push(`${shown.done}/${shown.total}${shown.source === 'iterations' ? ' iterations' : ''}`);
  if (shown.eta_ms !== undefined) parts.push(`ETA ${duration(shown.eta_ms)}`);
  if (shown.message !== undefined) parts.push(visible(shown.message));
  return parts.join(' ');
}

/** A plain view prints a task's progress again after this long without a new tenth. */
export const PLAIN_QUIET_MS = 30_000;

/** Which progress lines the plain view prints: per task, a new tenth, or a change after a quiet while. */
export class PlainProgress {
  private readonly last = new Map<string, { tenth: number; at: number; text: string }>();

  /** Whether to print `text` (a change of `key`'s progress at `percent`) now. */
  take(key: string, percent: number | undefined, text: string, now: number): boolean {
    const tenth = percent === undefined ? -1 : Math.floor(percent / 10);
    const last = this.last.get(key);
    if (last !== undefined && (last.text === text || (tenth === last.tenth && now - last.at < PLAIN_QUIET_MS))) return false;
    this.last.set(key, { tenth, at: now, text });
    return true;
  }

  /** The task ended or starts again: its next progress starts over. */
  forget(key: string): void {
    this.last.delete(key);
  }
}
