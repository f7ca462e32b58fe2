/**
 * /runs/:id: one run, live. The header (status, duration, what started it, inputs, and the
 * actions the caller's role allows), then tabs: the graph, the timeline, the event history
 * and the definition as the run recorded it; a task picked in any of them opens its panel
 * (why it waits, attempts, outputs, its log streaming). use-run.ts keeps it all live.
 */
import { useMemo, useState } from 'preact/hooks';
import { ErrorBanner, Link, LiveIndicator, StatusBadge, ViewHeader } from '../../lib/components.js';
import { duration, exact, relative, shortId } from '../../lib/format.js';
import { RunActions } from './run-actions.js';
import { RunEvents } from './run-events.js';
import { RunGraph } from './run-graph.js';
import { RunTimeline } from './run-timeline.js';
import { TaskPanel } from './task-panel.js';
import { runCriticalPath } from './timeline.js';
import { useRunKeys } from './run-keys.js';
import { useRun } from './use-run.js';
import './run.css';

type Tab = 'graph' | 'timeline' | 'events' | 'definition';
const TABS: Tab[] = ['graph', 'timeline', 'events', 'definition'];
const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

export function RunView(props: { id: string }) {
  const data = useRun(props.id);
  const [tab, setTab] = useState<Tab>('graph');
  const [selected, setSelected] = useState<string>();
  const run = data.run;
  const code = data.created?.kind === 'code';
  const finished = run !== undefined && FINISHED.has(run.status);
  const critical = useMemo(() => {
    if (!run || !finished) return new Set<string>();
    return new Set(runCriticalPath(run.tasks, { code, createdAt: Date.parse(run.created_at) }));
  }, [run, finished, code]);
  const task = selected === undefined ? undefined : run?.tasks.find((t) => t.id === selected);
  useRunKeys({
    tab: setTab,
    move: (by) => {
      const tasks = run?.tasks ?? [];
      if (tasks.length === 0) return;
      const at = tasks.findIndex((t) => t.id === selected);
      setSelected(tasks[at < 0 ? 0 : Math.max(0, Math.min(tasks.length - 1, at + by))].id);
    },
    close: () => setSelected(undefined),
    search: () => document.querySelector<HTMLInputElement>('.log-tools input')?.focus(),
  });

  return (
    <section class="run-view" data-status={run?.status}>
      <ViewHeader title={`Run ${shortId(props.id)}`} />
      <ErrorBanner error={data.error} />
      {data.live === 'reconnecting' || data.live === 'failed' ? <ErrorBanner error={data.liveError} /> : null}
      {run ? (
        <>
          <div class="run-head">
            <span class="run-status">
              <StatusBadge status={run.status} />
            </span>
            <span>
              <Link href={`/workflows/${encodeURIComponent(run.workflow.name)}`}>{run.workflow.name}</Link>
              {run.workflow.version ? <span class="muted"> v{run.workflow.version}</span> : null}
            </span>
            <span title={exact(run.created_at)}>created {relative(run.created_at)}</span>
            <span class="run-duration">{run.duration_ms !== undefined ? `took ${duration(run.duration_ms)}` : run.elapsed_ms !== undefined ? `running ${duration(run.elapsed_ms)}` : ''}</span>
            <span>started by {startedBy(data.created)}</span>
            <LiveIndicator state={data.live} />
          </div>
          <Inputs inputs={data.created?.inputs} />
          <RunActions run={run} onDone={data.refresh} />
          {run.error ? (
            <div class="task-error">
              <code>{run.error.code}</code> {run.error.message}
            </div>
          ) : null}
          <nav class="tabs" role="tablist">
            {TABS.map((name) => (
              <button key={name} type="button" role="tab" aria-selected={tab === name} class={tab === name ? 'tab active' : 'tab'} data-tab={name} onClick={() => setTab(name)}>
                {name}
              </button>
            ))}
            <span class="muted counts">
              {run.counts.total} tasks · {run.counts.succeeded} succeeded{run.counts.failed ? ` · ${run.counts.failed} failed` : ''}
              {run.counts.running ? ` · ${run.counts.running} running` : ''}
            </span>
          </nav>
          <div class={`run-body${task ? ' with-panel' : ''}`}>
            <div class="run-main">
              {tab === 'graph' ? <RunGraph tasks={run.tasks} code={code} selected={selected} critical={critical} onSelect={setSelected} version={data.version} /> : null}
              {tab === 'timeline' ? <RunTimeline tasks={run.tasks} attempts={data.attempts} live={!finished} selected={selected} critical={critical} onSelect={setSelected} version={data.version} /> : null}
              {tab === 'events' ? <RunEvents events={data.events} onSelect={setSelected} version={data.version} /> : null}
              {tab === 'definition' ? <pre class="json definition">{data.created ? JSON.stringify(data.created.workflow ?? data.created, null, 2) : 'the definition comes with the run’s first event'}</pre> : null}
            </div>
            {task ? (
              <TaskPanel
                runId={run.run_id}
                task={task}
                attempts={data.attempts.attempts.get(task.id) ?? []}
                lines={data.logs.get(task.id) ?? []}
                dropped={data.dropped.get(task.id) ?? 0}
                created={data.created}
                onClose={() => setSelected(undefined)}
                onSelect={setSelected}
                version={data.version}
              />
            ) : null}
          </div>
        </>
      ) : data.error ? null : (
        <p class="muted">Loading…</p>
      )}
    </section>
  );
}

function startedBy(created: Record<string, unknown> | undefined): string {
  if (!created) return '…';
  const trigger = created.trigger as { type?: string } | undefined;
  const origin = typeof created.origin === 'string' ? created.origin : 'cli';
  const actor = typeof created.actor === 'string' ? ` (${created.actor})` : '';
  return trigger?.type ? `trigger ${trigger.type}` : `${origin}${actor}`;
}

function Inputs(props: { inputs: unknown }) {
  const entries = Object.entries((props.inputs ?? {}) as Record<string, unknown>);
  if (entries.length === 0) return null;
  return (
    <dl class="run-inputs">
      {entries.map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>
            <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>
          </dd>
        </div>
      ))}
    </dl>
  );
}
