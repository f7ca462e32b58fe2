/**
 * `/workflows`: every workflow served, with its last run's status, its last 20 runs as a
 * history strip, its next scheduled firing and its trigger types; then the files that do not
 * load, each problem at file:line:col with its code and hint. Asked for again every 5 s.
 */
import { useApi } from '../../lib/use-api.js';
import { ErrorBanner, Link, StatusBadge, ViewHeader } from '../../lib/components.js';
import { exact, relative } from '../../lib/format.js';
import { navigate } from '../../lib/router.js';
import { HistoryStrip } from './history-strip.js';
import './workflows.css';
import type { Problem, WorkflowList } from './types.js';

export const HISTORY = 20;

export function WorkflowsView() {
  const { data, error, loading } = useApi<WorkflowList>(`/api/workflows?history=${HISTORY}`, 5000);
  const workflows = data?.workflows ?? [];
  return (
    <section>
      <ViewHeader title="Workflows">
        <span class="muted">{data ? `${workflows.length} served` : ''}</span>
      </ViewHeader>
      <ErrorBanner error={error} />
      {data && data.problems.length > 0 ? <Problems problems={data.problems} /> : null}
      <div class="table-wrap">
        <table class="workflows">
          <thead>
            <tr>
              <th>workflow</th>
              <th>last run</th>
              <th>last {HISTORY} runs</th>
              <th>next scheduled</th>
              <th>triggers</th>
              <th class="hide-narrow">file</th>
            </tr>
          </thead>
          <tbody>
            {workflows.map((w) => {
              const last = w.last_runs?.[0];
              return (
                <tr key={w.name} data-workflow={w.name} onClick={(e) => (e.target as HTMLElement).closest('a') === null && navigate(`/workflows/${encodeURIComponent(w.name)}`)}>
                  <td>
                    <Link href={`/workflows/${encodeURIComponent(w.name)}`}>{w.name}</Link>
                    {w.description ? <div class="muted small">{w.description}</div> : null}
                  </td>
                  <td class="last-status">{last ? <span title={exact(last.created_at)}><StatusBadge status={last.status} /> <span class="muted small">{relative(last.created_at)}</span></span> : <span class="muted">never run</span>}</td>
                  <td>
                    <HistoryStrip runs={w.last_runs ?? []} slots={HISTORY} />
                  </td>
                  <td class="next-run" title={exact(w.next_run_at)}>
                    {w.next_run_at ? relative(w.next_run_at) : <span class="muted">—</span>}
                  </td>
                  <td class="triggers">{w.trigger_types.length > 0 ? w.trigger_types.map((t) => <span key={t} class="label-chip">{t}</span>) : <span class="muted">manual</span>}</td>
                  <td class="hide-narrow muted mono small">{w.file}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {!loading && data && workflows.length === 0 ? <p class="muted">No workflow is served: put workflow files in the folder baton serve was started in (docs/server.md).</p> : null}
    </section>
  );
}

/** Files that do not load: each problem where it is (file:line:col), as `baton validate` says it. */
function Problems(props: { problems: Problem[] }) {
  return (
    <div class="problems" role="alert">
      <h2>Files that do not load</h2>
      {props.problems.map((p) => (
        <div key={p.file} class="problem" data-file={p.file}>
          {p.diagnostics && p.diagnostics.length > 0 ? (
            <ul>
              {p.diagnostics.map((d, i) => (
                <li key={i} class={`diagnostic ${d.severity}`}>
                  <span class="mono where">
                    {p.file}:{d.line}:{d.col}
                  </span>{' '}
                  <span class="mono code">{d.code}</span> {d.message}
                  {d.hint ? <div class="muted small">{d.hint}</div> : null}
                </li>
              ))}
            </ul>
          ) : (
            <div>
              <span class="mono where">{p.file}</span> {p.message}
            </div>
          )}
        </div>
      ))}
    </div>
  );
}
