/**
 * GET /api/workflows as the web UI's Workflows list needs it: each workflow with the types
 * of its triggers, its next scheduled firing and, when asked (`?history=N`), its last N runs
 * (newest first, their status as every view shows it); each file that does not load with
 * its problems at line:col. One indexed read of the runs table per workflow, no task reads.
 */
import { runDurationMs } from '../store/active-time.js';
import { displayStatus } from '../store/ownership.js';
import type { Store } from '../store/store.js';
import type { ScheduleView } from '../triggers/schedule-list.js';
import type { Catalog } from './catalog.js';

/** The most runs `?history=` gives per workflow. */
export const MAX_HISTORY = 50;

export interface RecentRun {
  run_id: string;
  status: string;
  created_at: string;
  duration_ms?: number;
}

export interface WorkflowListItem {
  name: string;
  file: string;
  description?: string;
  inputs: Record<string, unknown>;
  /** Its triggers' types, each once, in file order (`schedule`, `webhook`...). */
  trigger_types: string[];
  /** The soonest next firing of its schedules that are not paused (ISO 8601). */
  next_run_at?: string;
  /** Its last runs, newest first: only with `?history=`. */
  last_runs?: RecentRun[];
}

export interface WorkflowListProblem {
  file: string;
  message: string;
  diagnostics?: Array<{ severity: string; code: string; message: string; hint?: string; line: number; col: number; path?: string }>;
}

export async function workflowList(store: Store, catalog: Catalog, history: number, now = Date.now()): Promise<{ workflows: WorkflowListItem[]; problems: WorkflowListProblem[] }> {
  const schedules = await catalog.schedules.list(new Date(now));
  const workflows: WorkflowListItem[] = [];
  for (const loaded of catalog.workflows.values()) {
    const w = loaded.workflow;
    const item: WorkflowListItem = { name: loaded.name, file: loaded.file, ...(w.description ? { description: w.description } : {}), inputs: w.inputs as Record<string, unknown>, trigger_types: [...new Set((w.triggers ?? []).map((t) => t.type))] };
    const next = nextFiring(schedules, loaded.name);
    if (next !== undefined) item.next_run_at = next;
    if (history > 0) {
      const runs = await store.runs.listRuns({ namespace: catalog.namespace, workflow: loaded.name, limit: history });
      item.last_runs = runs.map((record) => {
        const duration = runDurationMs(record);
        return { run_id: record.id, status: displayStatus(record, now), created_at: new Date(record.created_at).toISOString(), ...(duration === undefined ? {} : { duration_ms: duration }) };
      });
    }
    workflows.push(item);
  }
  workflows.sort((a, b) => a.name.localeCompare(b.name));
  const problems = catalog.problems.map((p) => ({ file: p.file, message: p.message, ...(p.diagnostics && p.diagnostics.length > 0 ? { diagnostics: p.diagnostics.map(({ file: _file, ...d }) => d) } : {}) }));
  return { workflows, problems };
}

/** The soonest `next` of the workflow's schedules (paused ones have none). */
export function nextFiring(schedules: readonly ScheduleView[], workflow: string): string | undefined {
  let soonest: string | undefined;
  for (const s of schedules) if (s.workflow === workflow && s.next !== undefined && (soonest === undefined || Date.parse(s.next) < Date.parse(soonest))) soonest = s.next;
  return soonest;
}
