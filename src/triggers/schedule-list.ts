/**
 * Every schedule there is, one list for `baton schedule list`, the API and the server:
 * those declared in workflow files (`file:<workflow>:<n>`, the workflow's n-th schedule)
 * and those added with `baton schedule add` (`added:<n>`), each paused or not (the pause
 * of a file's schedule is a row in the store, so the file stays as written), with its
 * next firing. Pure: the caller brings the workflows and the store's rows.
 */
import type { Workflow } from '../spec/model.js';
import type { ScheduleRow } from '../store/triggers.js';
import { checkSchedule, nextFirings, scheduleOfTrigger, type Schedule } from './schedule.js';

export interface ScheduleView extends Schedule {
  id: string;
  workflow: string;
  /** The file that declares it (`file:`), or the workflow file it was added for (`added:`). */
  file?: string;
  origin: 'file' | 'added';
  paused: boolean;
  /** The next firing (ISO 8601), unless paused or the expression cannot run. */
  next?: string;
  /** Why it cannot fire: a cron expression croner refuses, a workflow the server does not serve. */
  problem?: string;
}

export function scheduleViews(workflows: Iterable<{ name: string; file: string; workflow: Workflow }>, rows: readonly ScheduleRow[], now = new Date(), served?: ReadonlySet<string>): ScheduleView[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const out: ScheduleView[] = [];
  for (const loaded of workflows) {
    const schedules = (loaded.workflow.triggers ?? []).filter((t) => t.type === 'schedule');
    schedules.forEach((trigger, n) => {
      const id = `file:${loaded.name}:${n}`;
      out.push(view({ id, workflow: loaded.name, file: loaded.file, origin: 'file', paused: byId.get(id)?.paused ?? false, ...scheduleOfTrigger(trigger) }, now));
    });
  }
  for (const row of rows) {
    if (!row.id.startsWith('added:')) continue;
    const v = view({ id: row.id, workflow: row.workflow, ...(row.file ? { file: row.file } : {}), origin: 'added', paused: row.paused, cron: row.cron ?? '', timezone: row.timezone ?? 'UTC', missed: row.missed ?? 'skip' }, now);
    if (served !== undefined && !served.has(row.workflow)) v.problem = `no workflow ${row.workflow} is served: its file is not in the served folder, or does not load`;
    out.push(v);
  }
  return out;
}

function view(v: ScheduleView, now: Date): ScheduleView {
  try {
    checkSchedule(v);
    if (!v.paused) v.next = nextFirings(v, 1, now)[0]?.toISOString();
  } catch (err) {
    v.problem = (err as Error).message;
  }
  return v;
}
