/**
 * A running task's progress as the Run view draws it (a bar along its node, a line in its
 * panel): a fraction from what the API gives (GET /api/runs/{id}, each task's `progress`).
 */
import type { TaskJson, TaskProgress } from './types.js';

/** How far along it is, 0 to 1: its percent, else done of total; undefined when it says neither. */
export function progressFraction(progress: TaskProgress | undefined): number | undefined {
  if (progress === undefined) return undefined;
  if (progress.percent !== undefined) return Math.min(1, Math.max(0, progress.percent / 100));
  if (progress.done !== undefined && progress.total !== undefined && progress.total > 0) return Math.min(1, progress.done / progress.total);
  return undefined;
}

/** Each running task's progress, 0 to 1, by task id. */
export function runningProgress(tasks: readonly TaskJson[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const task of tasks) {
    const fraction = task.status === 'running' ? progressFraction(task.progress) : undefined;
    if (fraction !== undefined) out.set(task.id, fraction);
  }
  return out;
}
