/**
 * `baton schedule list|add|rm|pause|resume`: the schedules of the project's workflows
 * (declared in files, or added here without editing them; seed 004's `workflow schedule
 * --cron`), kept in the store, where a running `baton serve` sees changes within seconds.
 */
import path from 'node:path';
import { loadProject } from '../../config/project.js';
import { BatonError } from '../../observability/errors.js';
import { loadDefinition, type LoadedWorkflow } from '../../runs/definition.js';
import { findWorkflowFiles } from '../../runs/workflow-files.js';
import type { Store } from '../../store/store.js';
import { nextFirings } from '../../triggers/schedule.js';
import { addSchedule, pauseSchedule, removeSchedule } from '../../triggers/schedule-admin.js';
import { scheduleViews, type ScheduleView } from '../../triggers/schedule-list.js';
import { EXIT } from '../exit.js';
import { audited } from '../../access/audit.js';
import { localUser } from '../../access/principal.js';
import { visible } from '../render/visible.js';
import { renderTable } from '../render/table.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface ListFlags extends StoreFlags {
  json?: boolean;
  workflows?: string;
}

interface AddFlags extends StoreFlags {
  cron: string;
  tz?: string;
  missed?: 'skip' | 'run-once';
  json?: boolean;
}

export async function list(flags: ListFlags): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const views = await allSchedules(store, flags.workflows);
    if (flags.json) {
      process.stdout.write(JSON.stringify({ schedules: views }, null, 2) + '\n');
      return EXIT.ok;
    }
    if (views.length === 0) {
      process.stdout.write('no schedules: add one with `baton schedule add --cron "0 2 * * *" FILE`, or a schedule trigger in a workflow file\n');
      return EXIT.ok;
    }
    const rows = views.map((v) => [v.id, v.workflow, `'${v.cron}'`, v.timezone, v.paused ? 'paused' : (v.next ?? '-'), v.problem ?? '']);
    process.stdout.write(renderTable(['ID', 'WORKFLOW', 'CRON', 'TZ', 'NEXT', ''], rows));
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function add(file: string, flags: AddFlags): Promise<number> {
  const loaded = await loadWorkflow(file);
  const store = await openCliStore(flags, { create: true });
  try {
    const schedule = { cron: flags.cron, timezone: flags.tz ?? 'UTC', missed: flags.missed ?? 'skip' };
    const id = await audited(store, localUser(), { action: 'schedule.add', detail: { workflow: loaded.name, cron: flags.cron } }, () => addSchedule(store.triggers, { ...schedule, workflow: loaded.name, file: path.resolve(file) }), (added) => added);
    const next = nextFirings(schedule, 3).map((d) => d.toISOString());
    if (flags.json) process.stdout.write(JSON.stringify({ id, workflow: loaded.name, ...schedule, next }, null, 2) + '\n');
    else process.stdout.write(`added schedule ${id}: ${visible(loaded.name)} at '${visible(flags.cron)}' in ${schedule.timezone}; next ${next.join(', ')}\nbaton serve fires it (a running one within seconds)\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function remove(id: string, flags: StoreFlags & { workflows?: string }): Promise<number> {
  const store = await openCliStore(flags);
  try {
    const views = await allSchedules(store, flags.workflows);
    await audited(store, localUser(), { action: 'schedule.remove', target: id.slice(0, 300) }, () => removeSchedule(store.triggers, views, id));
    process.stdout.write(`removed schedule ${visible(id)}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

export async function pause(id: string, flags: StoreFlags & { workflows?: string }, paused: boolean): Promise<number> {
  const store = await openCliStore(flags, { create: true });
  try {
    const views = await allSchedules(store, flags.workflows);
    const view = await audited(store, localUser(), { action: paused ? 'schedule.pause' : 'schedule.resume', target: id.slice(0, 300) }, () => pauseSchedule(store.triggers, views, id, paused));
    process.stdout.write(`${paused ? 'paused' : 'resumed'} schedule ${visible(id)} of ${visible(view.workflow)}\n`);
    return EXIT.ok;
  } finally {
    await store.close();
  }
}

/** The schedules of the workflow files in the folder (default: the project's root) and the store's. */
async function allSchedules(store: Store, folder: string | undefined): Promise<ScheduleView[]> {
  const dir = path.resolve(folder ?? loadProject().root);
  const workflows: LoadedWorkflow[] = [];
  for (const found of findWorkflowFiles(dir).files) {
    if (found.kind === 'code') continue;
    const loaded = await loadDefinition(path.join(dir, found.file)).catch(() => undefined);
    if (loaded && !('problem' in loaded)) workflows.push(loaded);
  }
  return scheduleViews(workflows, await store.triggers.listSchedules('default'));
}

async function loadWorkflow(file: string): Promise<LoadedWorkflow> {
  const loaded = await loadDefinition(file);
  if ('problem' in loaded) throw new BatonError('CLI_USAGE', `${file} does not load (${loaded.problem.message}): baton validate ${file} shows why`);
  return loaded;
}
