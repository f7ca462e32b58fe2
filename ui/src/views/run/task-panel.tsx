/**
 * One task, chosen in the graph or the timeline: its state and why it waits (the server's
 * `waiting_for`, as `baton status` explains it: a dependency, a concurrency limit, a resource,
 * a timer, an approval), its attempts with their errors, its outputs, its definition as the
 * run recorded it, and its log, live.
 */
import { duration } from '../../lib/format.js';
import { StatusBadge } from '../../lib/components.js';
import type { Attempt } from './attempts.js';
import { LogView } from './log-view.js';
import { progressFraction } from './progress.js';
import type { RunEventJson, TaskJson, TaskProgress } from './types.js';
import type { LogLine } from './use-run.js';

export function TaskPanel(props: { runId: string; task: TaskJson; attempts: Attempt[]; lines: LogLine[]; dropped: number; created?: RunEventJson; onClose: () => void; onSelect: (task: string) => void; version: number }) {
  const { task } = props;
  const spec = specOf(props.created, task);
  return (
    <aside class="task-panel" data-task={task.id} aria-label={`task ${task.id}`}>
      <header>
        <h2>
          {task.id} <StatusBadge status={task.status} />
        </h2>
        <button type="button" class="icon" aria-label="close the task panel" onClick={props.onClose}>
          ×
        </button>
      </header>
      <p class="muted">
        {task.type ?? 'task'}
        {task.parent ? (
          <>
            {' '}in{' '}
            <button type="button" class="link" onClick={() => props.onSelect(task.parent!)}>
              {task.parent}
            </button>
          </>
        ) : null}
        {task.duration_ms !== undefined ? ` · ran ${duration(task.duration_ms)}` : task.elapsed_ms !== undefined ? ` · running ${duration(task.elapsed_ms)}` : ''}
        {task.depends_on?.length ? ` · after ${task.depends_on.join(', ')}` : ''}
      </p>
      {task.waiting_for ? (
        <div class="why-waiting" data-kind={task.waiting_for.kind}>
          <strong>Why is this waiting?</strong> {task.waiting_for.message}
          {task.waiting_for.tasks?.length ? (
            <span>
              {' '}
              {task.waiting_for.tasks.map((t) => (
                <button key={t} type="button" class="link" onClick={() => props.onSelect(t)}>
                  {t}
                </button>
              ))}
            </span>
          ) : null}
        </div>
      ) : null}
      {task.progress && task.status === 'running' ? <ProgressLine progress={task.progress} /> : null}
      {task.reason ? <p class="muted">{task.reason}</p> : null}
      {task.error ? (
        <div class="task-error">
          <code>{task.error.code}</code> {task.error.message}
          {task.error.stderr_tail ? <pre>{task.error.stderr_tail}</pre> : null}
        </div>
      ) : null}
      {props.attempts.length > 0 ? (
        <section>
          <h3>Attempts</h3>
          <ol class="attempts">
            {props.attempts.map((a) => (
              <li key={a.attempt} data-attempt={a.attempt} class={`outcome-${a.outcome}`}>
                #{a.attempt} {a.outcome} {a.end !== undefined ? duration(a.end - a.start) : ''}
                {a.worker ? <span class="muted"> on {a.worker}</span> : null}
                {a.error ? (
                  <span class="attempt-error">
                    {' '}
                    <code>{a.error.code}</code> {a.error.message}
                  </span>
                ) : null}
              </li>
            ))}
          </ol>
        </section>
      ) : null}
      <section>
        <h3>Log</h3>
        <LogView runId={props.runId} task={task.id} lines={props.lines} dropped={props.dropped} version={props.version} />
      </section>
      {task.outputs ? (
        <section>
          <h3>Outputs</h3>
          <pre class="json">{JSON.stringify(task.outputs, null, 2)}</pre>
        </section>
      ) : null}
      {task.child_run ? (
        <p>
          child run: <a href={`/runs/${task.child_run}`}>{task.child_run}</a>
        </p>
      ) : null}
      {spec ? (
        <section>
          <h3>Definition</h3>
          <pre class="json">{JSON.stringify(spec, null, 2)}</pre>
        </section>
      ) : null}
    </aside>
  );
}

/** The task's spec in the run's recorded definition (a loop's iteration: the loop's template). */
function specOf(created: RunEventJson | undefined, task: TaskJson): unknown {
  const workflow = created?.workflow as { tasks?: unknown[] } | undefined;
  const find = (list: unknown[] | undefined, id: string): Record<string, unknown> | undefined => {
    for (const raw of list ?? []) {
      const spec = raw as Record<string, unknown>;
      if (spec.id === id) return spec;
      const inner = find(spec.tasks as unknown[] | undefined, id) ?? find([spec.then, spec.else].filter(Boolean), id);
      if (inner) return inner;
    }
    return undefined;
  };
  const own = find(workflow?.tasks, task.id);
  if (own) return own;
  const parent = task.parent ? find(workflow?.tasks, task.parent) : undefined;
  return parent?.task;
}

/** How far a running task is: a bar, percent or done/total, its message, and the time left at its rate so far. */
function ProgressLine(props: { progress: TaskProgress }) {
  const p = props.progress;
  const fraction = progressFraction(p);
  const parts = [
    fraction !== undefined ? `${Math.round(fraction * 100)}%` : undefined,
    p.done !== undefined && p.total !== undefined ? `${p.done}/${p.total}${p.source === 'iterations' ? ' iterations' : ''}` : undefined,
    p.message,
    p.eta_ms !== undefined ? `about ${duration(p.eta_ms)} left` : undefined,
  ].filter((part): part is string => part !== undefined && part !== '');
  return (
    <div class="task-progress" data-percent={fraction === undefined ? undefined : Math.round(fraction * 100)}>
      <progress max={1} value={fraction} aria-label="progress" />
      <span>{parts.join(' · ')}</span>
    </div>
  );
}
