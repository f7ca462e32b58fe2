/**
 * The timeline's (Gantt's) arithmetic: its rows (one per task, each with its attempts'
 * bars and the gaps between them, from attempts.ts), the run's critical path, and which rows
 * are on screen (the view draws only those, so 2,000 tasks cost 2,000 rows of data, not of DOM).
 */
import { criticalPath, type PathNode } from '../../../../src/observability/metrics/critical-path.js';
import type { Attempt, AttemptLog, Gap } from './attempts.js';
import type { TaskJson } from './types.js';

export interface TimelineRow {
  task: TaskJson;
  /** How deep inside composites it is (indent). */
  depth: number;
  attempts: Attempt[];
  gaps: Gap[];
}

export function timelineRows(tasks: readonly TaskJson[], log: AttemptLog): TimelineRow[] {
  const depthOf = new Map<string, number>();
  return tasks.map((task) => {
    const depth = task.parent !== undefined && depthOf.has(task.parent) ? depthOf.get(task.parent)! + 1 : 0;
    depthOf.set(task.id, depth);
    return { task, depth, attempts: log.attempts.get(task.id) ?? [], gaps: log.gaps.get(task.id) ?? [] };
  });
}

/** The span the timeline covers: the run's creation to its last event (or now, while it runs). */
export function span(log: AttemptLog, now: number, live: boolean): { start: number; end: number } {
  const start = log.createdAt ?? now;
  let end = live ? Math.max(now, log.lastAt) : log.lastAt;
  if (end <= start) end = start + 1;
  return { start, end };
}

/** A time as an x in [0, width]. */
export function xOf(at: number, range: { start: number; end: number }, width: number): number {
  return ((at - range.start) / (range.end - range.start)) * width;
}

/**
 * The run's critical path, by the rule GET /api/metrics uses for its slowest run
 * (observability/metrics/critical-path.ts, the same code): from the task that ended last,
 * back through what each waited for. Its task ids, in order.
 */
export function runCriticalPath(tasks: readonly TaskJson[], options: { code: boolean; createdAt: number }): string[] {
  const nodes = new Map<string, PathNode>();
  for (const task of tasks) {
    const start = task.started_at === undefined ? undefined : Date.parse(task.started_at);
    const end = task.ended_at === undefined ? undefined : Date.parse(task.ended_at);
    nodes.set(task.id, {
      key: task.id,
      deps: task.depends_on ?? [],
      ...(task.parent === undefined ? {} : { parent: task.parent }),
      ...(start === undefined ? {} : { start }),
      ...(end === undefined ? {} : { end }),
    });
  }
  return criticalPath({ nodes, byTime: options.code, createdAt: options.createdAt }).map((link) => link.key);
}

/** The rows [from, to) a scrolled list of `count` rows of `rowHeight` shows, with `overscan` more each side. */
export function visibleRows(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 8): { from: number; to: number } {
  const from = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const to = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { from, to: Math.max(from, to) };
}
