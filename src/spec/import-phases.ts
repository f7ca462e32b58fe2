/**
 * The `phases` format (seed 001: `workflow_id`, `phases[]` with name, command, timeout,
 * retry_count, depends_on, checkpoint) -> the canonical shape, positions kept.
 *
 * - A phase's name is its task id; workflow_id is the workflow's name.
 * - timeout: seconds, default 300. retry_count: retries after the first try, default 3,
 *   so attempts = retry_count + 1.
 * - The original runs phases one after another in list order, so a phase without
 *   `depends_on` waits for the phase before it; one with `depends_on` (even `[]`) waits
 *   for exactly those.
 * - Only this format's schema is checked (not the canonical one too), so a mistake is
 *   reported once, in this format's words.
 * - checkpoint, state_backend, checkpoint_interval: accepted and ignored; every task is
 *   durable in baton.
 */
import { z } from 'zod';
import type { Reporter } from './diagnostics.js';
import { has, isMap, num } from './raw.js';
import type { RawMap } from './raw.js';
import { bool, duration, expected, idList, str, strict } from './schema-kit.js';
import { reportIssues } from './zod-issues.js';

const Phase = strict({
  name: str('Phase name; becomes the task id.', 'expected a phase name'),
  command: str('Shell command.'),
  timeout: duration('Time limit. Default 300 (seconds).', 's').optional(),
  retry_count: z.number(expected('expected a whole number')).int({ error: 'expected a whole number' }).min(0, { error: 'retry_count cannot be negative' }).optional(),
  depends_on: idList('Phases to wait for.').optional(),
  checkpoint: bool('Accepted and ignored: every task is durable.').optional(),
});

const PhasesFile = strict({
  $schema: str('JSON Schema of this file.').optional(),
  workflow_id: str('Workflow name.'),
  description: str('What the workflow does.').optional(),
  phases: z.array(Phase, expected('expected a list of phases')).min(1, { error: 'a workflow needs at least one phase' }),
  state_backend: str('Accepted and ignored: baton keeps state in its store.').optional(),
  checkpoint_interval: z.number(expected('expected a number')).optional(),
});

export function isPhasesFile(raw: RawMap): boolean {
  return has(raw, 'phases');
}

export function importPhases(raw: RawMap, rep: Reporter): RawMap {
  const checked = PhasesFile.safeParse(raw);
  if (!checked.success) reportIssues(checked.error.issues, raw, rep);
  const { index } = rep;
  const out = index.derive<RawMap>({}, raw);
  index.put(out, 'name', raw.workflow_id, raw, 'workflow_id');
  if (has(raw, 'description')) index.put(out, 'description', raw.description, raw, 'description');
  const phases = Array.isArray(raw.phases) ? raw.phases : [];
  const tasks = index.derive<unknown[]>([], phases);
  phases.forEach((phase, i) => {
    // A phase without a name or command was reported above; leave it out of the graph.
    if (!isMap(phase) || typeof phase.name !== 'string') return;
    const task = index.derive<RawMap>({}, phase);
    index.put(task, 'id', phase.name, phase, 'name');
    if (typeof phase.command === 'string') index.put(task, 'command', phase.command, phase, 'command');
    else index.put(task, 'type', 'noop', phase);
    index.put(task, 'timeout', has(phase, 'timeout') ? phase.timeout : 300, phase, has(phase, 'timeout') ? 'timeout' : undefined);
    const retries = num(phase, 'retry_count') ?? 3;
    const retry = index.derive<RawMap>({}, phase);
    index.put(retry, 'attempts', retries + 1, phase, has(phase, 'retry_count') ? 'retry_count' : undefined);
    index.put(task, 'retry', retry, phase, has(phase, 'retry_count') ? 'retry_count' : undefined);
    if (has(phase, 'depends_on')) index.put(task, 'depends_on', phase.depends_on, phase, 'depends_on');
    else if (i > 0 && isMap(phases[i - 1]) && typeof (phases[i - 1] as RawMap).name === 'string') {
      const previous = index.derive<unknown[]>([], phase);
      index.put(previous, 0, (phases[i - 1] as RawMap).name, phase);
      index.put(task, 'depends_on', previous, phase);
    }
    index.put(tasks, tasks.length, task, phases, i);
  });
  index.put(out, 'tasks', tasks, raw, 'phases');
  return out;
}
