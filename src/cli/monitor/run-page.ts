/**
 * The monitor's page of one run (Enter on a run): its head as `baton status` has it, and
 * every task with its status, attempt, time and progress, inside composites indented.
 * Tasks can be selected, to show one task's output.
 */
import type { StatusJson, TaskJson } from '../../runs/run-view.js';
import { duration } from '../render/format.js';
import type { Body } from './dashboard.js';
import { statusStyle } from './dashboard.js';
import { bar, fit, progressText, safe, selected, type Colors, type Part } from './text.js';

export function runHead(view: StatusJson, width: number, c: Colors): string[] {
  const n = view.counts;
  const took = view.duration_ms ?? view.elapsed_ms;
  const lines = [
    fit(
      [
        ['RUN ', 'bold'],
        view.run_id,
        '  ',
        [safe(view.workflow.name), 'bold'],
        '  ',
        [view.status, statusStyle(view.status)],
        '  ',
        duration(took),
        '  ',
        `${n.succeeded + n.failed + n.skipped + n.cancelled}/${n.total} tasks`,
        view.cancel_requested !== undefined ? ['  cancelling', 'yellow'] : '',
      ],
      width,
      c,
    ),
  ];
  const facts: string[] = [];
  if (view.file) facts.push(safe(view.file));
  if (view.started_at) facts.push(`started ${view.started_at.slice(0, 19).replace('T', ' ')} UTC`);
  if (view.owner) facts.push(`driven by pid ${view.owner.pid} on ${safe(view.owner.host)}`);
  if (view.queue?.position !== undefined) facts.push(`#${view.queue.position} in the queue`);
  if (facts.length > 0) lines.push(fit([[facts.join(' · '), 'dim']], width, c));
  if (view.error) lines.push(fit([['error ', 'red'], `${view.error.code}: ${safe(view.error.message.split('\n')[0])}`], width, c));
  else if (view.reason) lines.push(fit([[safe(view.reason), 'dim']], width, c));
  return lines;
}

/** The task table; `selection` indexes view.tasks. */
export function runBody(view: StatusJson, selection: number, width: number, c: Colors): Body {
  const tasks = view.tasks;
  const depth = depths(tasks);
  const keyWidth = Math.min(40, Math.max(4, ...tasks.map((t) => 2 * (depth.get(t.id) ?? 0) + safe(t.id).length)));
  const lines = [fit([['  ' + 'TASK'.padEnd(keyWidth) + '  STATUS     ATTEMPT  TIME     PROGRESS', 'dim']], width, c)];
  let selectedLine: number | undefined;
  tasks.forEach((task, i) => {
    const parts = taskRow(task, depth.get(task.id) ?? 0, keyWidth, width);
    if (i === selection) selectedLine = lines.length;
    lines.push(i === selection ? selected(parts, width, c) : fit(['  ', ...parts], width, c));
  });
  if (tasks.length === 0) lines.push(fit([['  no tasks yet', 'dim']], width, c));
  return { lines, ...(selectedLine === undefined ? {} : { selectedLine }) };
}

function taskRow(task: TaskJson, depth: number, keyWidth: number, width: number): Part[] {
  let key = '  '.repeat(depth) + safe(task.id);
  if (key.length > keyWidth) key = key.slice(0, keyWidth - 1) + '…';
  const time = task.duration_ms ?? task.elapsed_ms;
  const parts: Part[] = [key.padEnd(keyWidth), '  ', [task.status.padEnd(10), statusStyle(task.status)], ' ', String(task.attempts || '').padEnd(8), ' ', (time === undefined ? '' : duration(time)).padEnd(8), ' '];
  const progress = progressText(task.progress);
  if (progress.fraction !== undefined && width > 70) parts.push(bar(progress.fraction, 10), ' ');
  if (progress.text !== '') parts.push(progress.text, '  ');
  if (task.error) parts.push(['' + task.error.code + ': ' + safe(task.error.message.split('\n')[0]), 'red']);
  else if (task.reason) parts.push([safe(task.reason), 'dim']);
  else if (task.status === 'retrying' && task.retry_at) parts.push([`next attempt at ${task.retry_at.slice(11, 19)} UTC`, 'dim']);
  return parts;
}

/** How deep each task sits inside composites. */
function depths(tasks: readonly TaskJson[]): Map<string, number> {
  const parent = new Map(tasks.map((t) => [t.id, t.parent]));
  const out = new Map<string, number>();
  for (const task of tasks) {
    let d = 0;
    for (let p = task.parent; p !== undefined && d < 50; p = parent.get(p)) d++;
    out.set(task.id, d);
  }
  return out;
}
