/**
 * `baton triggers test FILE`: when the workflow's trigger would fire next, before a server
 * runs it: for a schedule, its next firings in its time zone (and in UTC).
 */
import { BatonError } from '../../observability/errors.js';
import { loadDefinition } from '../../runs/definition.js';
import { formatDiagnostic } from '../../spec/index.js';
import { WorkflowInvalidError } from '../../spec/errors.js';
import type { Workflow } from '../../spec/model.js';
import { checkSchedule, nextFirings, scheduleOf } from '../../triggers/schedule.js';
import { parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';

interface TestFlags {
  count?: string;
  from?: string;
  json?: boolean;
}

export async function test(file: string, flags: TestFlags): Promise<number> {
  const count = parsePositiveInt(flags.count, '--count') ?? 10;
  const from = flags.from === undefined ? new Date() : new Date(flags.from);
  if (Number.isNaN(from.getTime())) throw new BatonError('CLI_USAGE', `--from ${flags.from} is not a date and time: write it as 2026-03-29T00:00:00Z`);
  const workflow = await load(file);
  const schedule = scheduleOf(workflow);
  const type = workflow.trigger?.type ?? 'manual';
  if (schedule === undefined) {
    const what = type === 'manual' ? 'no trigger: it runs when started (baton run, the API)' : `a ${type} trigger, which fires on what happens, not at times`;
    if (flags.json) process.stdout.write(JSON.stringify({ workflow: workflow.name, trigger: type, firings: [] }, null, 2) + '\n');
    else process.stdout.write(`${visible(workflow.name)} has ${what}\n`);
    return EXIT.ok;
  }
  checkSchedule(schedule);
  const firings = nextFirings(schedule, count, from);
  if (flags.json) {
    process.stdout.write(JSON.stringify({ workflow: workflow.name, trigger: 'schedule', ...schedule, firings: firings.map((d) => d.toISOString()) }, null, 2) + '\n');
    return EXIT.ok;
  }
  process.stdout.write(`${visible(workflow.name)}: schedule '${visible(schedule.cron)}' in ${schedule.timezone}; missed firings: ${schedule.missed}\n`);
  for (const at of firings) process.stdout.write(`  ${localTime(at, schedule.timezone)}  (${at.toISOString()})\n`);
  return EXIT.ok;
}

/** `Sun 2026-03-29 03:00:00` in the time zone. */
function localTime(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', weekday: 'short' })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`;
}

async function load(file: string): Promise<Workflow> {
  const loaded = await loadDefinition(file);
  if ('problem' in loaded) {
    const diagnostics = loaded.problem.diagnostics ?? [];
    for (const d of diagnostics) process.stderr.write(visible(formatDiagnostic(d), { lines: true }) + '\n');
    throw new WorkflowInvalidError(file, diagnostics);
  }
  return loaded.workflow;
}
