/**
 * `/metrics`: how the namespace's runs went over a window (24 hours, 7 or 30 days), for all
 * workflows or one: totals (GET /api/metrics), then charts over time (GET
 * /api/metrics/series): runs per bucket, success rate and duration p50/p95 per workflow and
 * per task, and failures by task. The picks are in the URL (?window=&workflow=). The chart
 * code (uPlot) is loaded when this view first opens.
 */
import { useEffect, useState } from 'preact/hooks';
import { query } from '../../lib/api.js';
import { ErrorBanner, ViewHeader } from '../../lib/components.js';
import { duration } from '../../lib/format.js';
import { navigate, useRoute } from '../../lib/router.js';
import { useApi } from '../../lib/use-api.js';
import { chartsOf, WINDOWS, type MetricsSeries } from './series-data.js';
import '../workflows/workflows.css';
import './metrics.css';

type Charts = typeof import('./metrics-charts.js');

interface Totals {
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  unfinished: number;
  success_rate?: number;
}
interface MetricsDoc {
  totals: Totals;
  workflows: Array<{ workflow: string; duration_ms?: { p50: number; p95: number } }>;
}

const POLL_MS = 15_000;

export function MetricsView() {
  const { search } = useRoute();
  const picked = WINDOWS.find((w) => w.since === search.get('window')) ?? WINDOWS[0];
  const workflow = search.get('workflow') ?? undefined;
  const names = useApi<{ workflows: Array<{ name: string }> }>('/api/workflows');
  const doc = useApi<MetricsDoc>(`/api/metrics${query({ since: picked.since, workflow })}`, POLL_MS);
  const series = useApi<MetricsSeries>(`/api/metrics/series${query({ since: picked.since, bucket: picked.bucket, workflow })}`, POLL_MS);
  const [charts, setCharts] = useState<Charts>();
  const [loadError, setLoadError] = useState<unknown>();
  useEffect(() => {
    import('./metrics-charts.js').then(setCharts, (err: unknown) => setLoadError(new Error(`the chart code did not load (${(err as Error).message}): reload the page`)));
  }, []);

  const go = (next: { window?: string; workflow?: string }) => navigate(`/metrics${query({ window: next.window ?? picked.since, workflow: 'workflow' in next ? next.workflow : workflow })}`, true);
  const totals = doc.data?.totals;
  const flow = workflow === undefined ? undefined : doc.data?.workflows.find((w) => w.workflow === workflow);

  return (
    <section class="metrics">
      <ViewHeader title="Metrics">
        <div class="segmented" role="group" aria-label="window">
          {WINDOWS.map((w) => (
            <button key={w.since} type="button" class={w === picked ? 'on' : 'off'} aria-pressed={w === picked} onClick={() => go({ window: w.since })}>
              {w.since}
            </button>
          ))}
        </div>
        <select aria-label="workflow" value={workflow ?? ''} onChange={(e) => go({ workflow: (e.target as HTMLSelectElement).value || undefined })}>
          <option value="">all workflows</option>
          {(names.data?.workflows ?? []).map((w) => (
            <option key={w.name} value={w.name}>
              {w.name}
            </option>
          ))}
        </select>
      </ViewHeader>
      <ErrorBanner error={doc.error ?? series.error ?? names.error ?? loadError} />
      {totals ? (
        <div class="figures">
          <Figure name="runs" value={String(totals.runs)} />
          <Figure name="succeeded" value={String(totals.succeeded)} />
          <Figure name="failed" value={String(totals.failed)} />
          <Figure name="success rate" value={totals.success_rate === undefined ? '—' : `${totals.success_rate}%`} />
          {flow?.duration_ms ? <Figure name="duration p50 / p95" value={`${duration(flow.duration_ms.p50)} / ${duration(flow.duration_ms.p95)}`} /> : null}
          <span class="muted small">
            {picked.label}
            {workflow ? `, ${workflow}` : ''}
          </span>
        </div>
      ) : null}
      <div class="charts">{series.data && charts ? chartsOf(series.data, picked.per).map((c) => <charts.Chart key={c.title} chart={c} />) : <p class="muted">Loading charts…</p>}</div>
      <h2>Failures by task</h2>
      <FailuresByTask series={series.data} />
    </section>
  );
}

function Figure(props: { name: string; value: string }) {
  return (
    <div class="figure" data-figure={props.name}>
      <div class="value">{props.value}</div>
      <div class="muted small">{props.name}</div>
    </div>
  );
}

/** A bar per task that failed, longest for the most failures. */
function FailuresByTask(props: { series?: MetricsSeries }) {
  const rows = props.series?.failures_by_task ?? [];
  if (props.series && rows.length === 0) return <p class="muted">No task failed in this window.</p>;
  const most = Math.max(1, ...rows.map((r) => r.failed));
  return (
    <div class="failures">
      {rows.slice(0, 15).map((r) => (
        <div key={`${r.workflow}/${r.task}`} class="failure-row" data-task={`${r.workflow}/${r.task}`}>
          <span class="mono small name">
            {r.workflow}/{r.task}
          </span>
          <span class="bar-track">
            <span class="failure-bar" ref={(el) => el?.style.setProperty('width', `${(r.failed / most) * 100}%`)} />
          </span>
          <span class="count">{r.failed}</span>
        </div>
      ))}
    </div>
  );
}
