/**
 * Changing schedules without editing files, for `baton schedule` and the API alike: add
 * one for a workflow, remove an added one, pause and resume any (a file's schedule is
 * paused by a row in the store; the file stays as written). A running `baton serve` sees
 * the change within seconds (server/schedules.ts).
 */
import { BatonError } from '../observability/errors.js';
import { didYouMean } from '../spec/suggest.js';
import type { TriggerStore } from '../store/triggers.js';
import { checkSchedule, type Schedule } from './schedule.js';
import type { ScheduleView } from './schedule-list.js';

export async function addSchedule(store: TriggerStore, schedule: Schedule & { workflow: string; file?: string; namespace?: string }, now = Date.now()): Promise<string> {
  checkSchedule(schedule);
  const row = await store.putSchedule({ ...(schedule.namespace ? { namespace: schedule.namespace } : {}), workflow: schedule.workflow, ...(schedule.file ? { file: schedule.file } : {}), cron: schedule.cron, timezone: schedule.timezone, missed: schedule.missed, paused: false, created_at: now });
  return row.id;
}

export async function removeSchedule(store: TriggerStore, views: readonly ScheduleView[], id: string, namespace?: string): Promise<void> {
  const view = find(views, id);
  if (view.origin === 'file') {
    throw new BatonError('SCHEDULE_IN_FILE', `schedule ${id} is declared in ${view.file ?? 'its workflow file'}: remove it there, or pause it (baton schedule pause ${id})`, { details: { schedule: id } });
  }
  await store.removeSchedule(id, namespace);
}

export async function pauseSchedule(store: TriggerStore, views: readonly ScheduleView[], id: string, paused: boolean, now = Date.now(), namespace?: string): Promise<ScheduleView> {
  const view = find(views, id);
  const rows = await store.listSchedules(namespace);
  const row = rows.find((r) => r.id === id);
  await store.putSchedule({ ...(row ?? { workflow: view.workflow, created_at: now }), ...(namespace ? { namespace } : {}), id, paused });
  return { ...view, paused };
}

function find(views: readonly ScheduleView[], id: string): ScheduleView {
  const view = views.find((v) => v.id === id);
  if (view) return view;
  throw new BatonError('SCHEDULE_NOT_FOUND', `no schedule ${id}${didYouMean(id, views.map((v) => v.id))}: baton schedule list shows them`, { details: { schedule: id } });
}
