/**
 * From GET /api/metrics/series to the charts' data: uPlot takes one x array (seconds) and
 * one y array per line, aligned, null where there is no value (a bucket where nothing
 * finished has no success rate, and the line skips it). Pure, so it is unit-tested.
 */

export interface Spread {
  p50: number;
  p95: number;
  max: number;
}
export interface Point {
  runs: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  success_rate?: number;
  duration_ms?: Spread;
}
export interface MetricsSeries {
  since: string;
  until: string;
  bucket_ms: number;
  workflow?: string;
  buckets: Array<Point & { start: string }>;
  workflows: Array<{ workflow: string; runs: number; failed: number; points: Point[] }>;
  tasks: Array<{ workflow: string; task: string; runs: number; failed: number; points: Point[] }>;
  failures_by_task: Array<{ workflow: string; task: string; failed: number }>;
}

export interface Line {
  label: string;
  values: Array<number | null>;
  /** A palette index, or a status colour. */
  color: number | 'ok' | 'bad' | 'accent';
  dash?: boolean;
  bars?: boolean;
}

export interface ChartData {
  title: string;
  unit: 'runs' | '%' | 'ms';
  x: number[];
  lines: Line[];
}

/** The most lines one chart draws: more would be unreadable; those that ran most are kept. */
export const MAX_LINES = 8;

/** Window picks and the bucket each is drawn with. */
export const WINDOWS = [
  { since: '24h', bucket: '1h', label: 'last 24 hours', per: 'hour' },
  { since: '7d', bucket: '6h', label: 'last 7 days', per: '6 hours' },
  { since: '30d', bucket: '1d', label: 'last 30 days', per: 'day' },
] as const;

export function chartsOf(series: MetricsSeries, per: string): ChartData[] {
  const x = series.buckets.map((b) => Date.parse(b.start) / 1000);
  const flows = [...series.workflows].sort((a, b) => b.runs - a.runs).slice(0, MAX_LINES);
  const tasks = [...series.tasks].sort((a, b) => b.runs - a.runs).slice(0, MAX_LINES);
  const taskLabel = (t: { workflow: string; task: string }) => (series.workflow === undefined ? `${t.workflow}/${t.task}` : t.task);
  const rate = (points: Point[]) => points.map((p) => p.success_rate ?? null);
  const p = (points: Point[], which: 'p50' | 'p95') => points.map((pt) => pt.duration_ms?.[which] ?? null);
  return [
    {
      title: `Runs per ${per}`,
      unit: 'runs',
      x,
      lines: [
        { label: 'runs', values: series.buckets.map((b) => b.runs), color: 'accent', bars: true },
        { label: 'failed', values: series.buckets.map((b) => b.failed), color: 'bad', bars: true },
      ],
    },
    { title: 'Success rate by workflow', unit: '%', x, lines: flows.map((f, i) => ({ label: f.workflow, values: rate(f.points), color: i })) },
    {
      title: 'Duration by workflow (p50, p95 dashed)',
      unit: 'ms',
      x,
      lines: flows.slice(0, MAX_LINES / 2).flatMap((f, i) => [
        { label: `${f.workflow} p50`, values: p(f.points, 'p50'), color: i },
        { label: `${f.workflow} p95`, values: p(f.points, 'p95'), color: i, dash: true },
      ]),
    },
    { title: 'Success rate by task', unit: '%', x, lines: tasks.map((t, i) => ({ label: taskLabel(t), values: rate(t.points), color: i })) },
    {
      title: 'Duration by task (p50, p95 dashed)',
      unit: 'ms',
      x,
      lines: tasks.slice(0, MAX_LINES / 2).flatMap((t, i) => [
        { label: `${taskLabel(t)} p50`, values: p(t.points, 'p50'), color: i },
        { label: `${taskLabel(t)} p95`, values: p(t.points, 'p95'), color: i, dash: true },
      ]),
    },
  ];
}

/** How a value reads in a legend and on an axis. */
export function formatValue(unit: ChartData['unit'], value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (unit === '%') return `${value}%`;
  if (unit === 'runs') return String(value);
  if (value < 1000) return `${Math.round(value)}ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(value < 10_000 ? 1 : 0)}s`;
  return `${Math.floor(value / 60_000)}m ${String(Math.floor((value % 60_000) / 1000)).padStart(2, '0')}s`;
}
