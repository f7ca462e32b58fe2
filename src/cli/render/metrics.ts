/**
 * `baton metrics` for a person: every workflow on a line, the slowest tasks, and, for one
 * workflow (`--workflow`), its tasks and the critical path of its slowest run. Drawn from
 * the same document `--json` prints (observability/metrics/types.ts).
 */
import type { MetricsJson, RunCounts, Spread, WorkflowMetrics } from '../../observability/metrics/types.js';
import { duration, type Paint } from './format.js';
import { renderTable } from './table.js';
import { localTime } from './time.js';
import { visible } from './visible.js';

/** Cells are cut at this width: task keys can be long. */
const CELL = 60;

export function renderMetrics(doc: MetricsJson, colors: Paint): string {
  const when = localTime(Date.parse(doc.since));
  if (doc.workflows.length === 0) return `No runs${doc.workflow === undefined ? '' : ` of ${visible(doc.workflow)}`} since ${when}.\n`;
  if (doc.workflow !== undefined && doc.workflows.length === 1) return renderOne(doc.workflows[0], when, colors);
  const out: string[] = [`Since ${when}: ${countsLine(doc.totals, colors)}\n\n`];
  out.push(
    renderTable(
      ['WORKFLOW', 'RUNS', 'SUCCESS', 'FAILED', 'CANCELLED', 'RETRIES', 'P50', 'P95', 'MAX', 'QUEUE WAIT'],
      doc.workflows.map((w) => [w.workflow, String(w.runs), rate(w), String(w.failed), String(w.cancelled), String(w.retries), ...spreadCells(w.duration_ms), duration(w.queue_wait_ms)]),
      CELL,
    ),
  );
  if (doc.bottlenecks.length > 0) {
    out.push(`\nSlowest tasks (by p95):\n`);
    out.push(indent(renderTable(['WORKFLOW', 'TASK', 'RUNS', 'P50', 'P95', 'MAX'], doc.bottlenecks.map((b) => [b.workflow, b.task, String(b.runs), ...spreadCells(b.duration_ms)]), CELL)));
  }
  out.push(colors.dim(`\nbaton metrics --workflow NAME shows a workflow's tasks and the critical path of its slowest run; --json all of it.\n`));
  return out.join('');
}

function renderOne(flow: WorkflowMetrics, when: string, colors: Paint): string {
  const out: string[] = [`${colors.bold(visible(flow.workflow))} since ${when}: ${countsLine(flow, colors)}\n`];
  const figures = [
    flow.duration_ms ? `duration p50 ${duration(flow.duration_ms.p50)}, p95 ${duration(flow.duration_ms.p95)}, max ${duration(flow.duration_ms.max)}` : undefined,
    `${flow.retries} ${flow.retries === 1 ? 'retry' : 'retries'}`,
    flow.queue_wait_ms === undefined ? undefined : `queue wait ${duration(flow.queue_wait_ms)} on average`,
  ].filter((f) => f !== undefined);
  out.push(`  ${figures.join('; ')}\n\n`);
  if (flow.tasks.length > 0) {
    out.push(
      indent(
        renderTable(
          ['TASK', 'TYPE', 'RUNS', 'FAILED', 'RETRIES', 'P50', 'P95', 'MAX', 'QUEUE WAIT'],
          flow.tasks.map((t) => [t.task, t.type ?? '-', String(t.runs), String(t.failed), String(t.retries), ...spreadCells(t.duration_ms), duration(t.queue_wait_ms)]),
          CELL,
        ),
      ),
    );
  }
  const slowest = flow.slowest_run;
  if (slowest && slowest.critical_path.length > 0) {
    out.push(`\nCritical path of the slowest run, ${slowest.run_id} (${slowest.status} in ${duration(slowest.duration_ms)}):\n`);
    out.push(indent(renderTable(['TASK', 'STARTED', 'DURATION', 'WAITED'], slowest.critical_path.map((s) => [s.task, localTime(Date.parse(s.started_at)).slice(11), duration(s.duration_ms), duration(s.waited_ms)]), CELL)));
  }
  return out.join('');
}

/** `42 runs: 38 succeeded, 3 failed, 1 cancelled; success rate 92.68%` */
function countsLine(c: RunCounts, colors: Paint): string {
  const parts = [
    `${c.succeeded} succeeded`,
    c.failed > 0 ? colors.red(`${c.failed} failed`) : '0 failed',
    ...(c.cancelled > 0 ? [`${c.cancelled} cancelled`] : []),
    ...(c.unfinished > 0 ? [`${c.unfinished} not finished`] : []),
  ];
  const success = c.success_rate === undefined ? '' : `; success rate ${c.success_rate}%`;
  return `${c.runs} ${c.runs === 1 ? 'run' : 'runs'}: ${parts.join(', ')}${success}`;
}

function rate(c: RunCounts): string {
  return c.success_rate === undefined ? '-' : `${c.success_rate}%`;
}

function spreadCells(s: Spread | undefined): string[] {
  return s === undefined ? ['-', '-', '-'] : [duration(s.p50), duration(s.p95), duration(s.max)];
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, '  ');
}
