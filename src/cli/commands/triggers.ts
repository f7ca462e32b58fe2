/**
 * `baton triggers test FILE`: when the workflow's triggers would fire next, before a server
 * runs them: for a schedule, its next firings in its time zone (and in UTC); for the others,
 * what fires them.
 */
import { BatonError } from '../../observability/errors.js';
import { loadDefinition } from '../../runs/definition.js';
import { formatDiagnostic } from '../../spec/index.js';
import { WorkflowInvalidError } from '../../spec/errors.js';
import type { Workflow } from '../../spec/model.js';
import { describeTrigger } from '../../triggers/describe.js';
import { checkSchedule, nextFirings, scheduleOfTrigger } from '../../triggers/schedule.js';
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
  const triggers = (workflow.triggers ?? []).filter((t) => t.type !== 'manual');
  const shown = triggers.map((trigger) => {
    if (trigger.type !== 'schedule') return { trigger, firings: [] as Date[] };
    const schedule = scheduleOfTrigger(trigger);
    checkSchedule(schedule);
    return { trigger, schedule, firings: nextFirings(schedule, count, from) };
  });
  if (flags.json) {
    const out = shown.map(({ trigger, schedule, firings }) => ({ type: trigger.type, ...trigger.config, ...(schedule ?? {}), ...(schedule ? { firings: firings.map((d) => d.toISOString()) } : {}) }));
    process.stdout.write(JSON.stringify({ workflow: workflow.name, triggers: out }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (shown.length === 0) {
    process.stdout.write(`${visible(workflow.name)} has no trigger: it runs when started (baton run, the API)\n`);
    return EXIT.ok;
  }
  for (const { trigger, schedule, firings } of shown) {
    if (schedule) {
      process.stdout.write(`${visible(workflow.name)}: schedule '${visible(schedule.cron)}' in ${schedule.timezone}; missed firings: ${schedule.missed}\n`);
      for (const at of firings) process.stdout.write(`  ${localTime(at, schedule.timezone)}  (${at.toISOString()})\n`);
    } else {
      process.stdout.write(`${visible(workflow.name)}: ${visible(describeTrigger(trigger))}, which fires on what happens, not at times\n`);
    }
  }
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
