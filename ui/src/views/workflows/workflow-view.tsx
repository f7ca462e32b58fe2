/**
 * `/workflows/:name`: one workflow. The form to start a run (operators and admins only; a
 * viewer sees its inputs without it), its last runs (asked for again every 3 s, each linking
 * to /runs/:id), its triggers and schedules, and its file as it is now.
 */
import { useApi } from '../../lib/use-api.js';
import { ErrorBanner, Link, StatusBadge, ViewHeader } from '../../lib/components.js';
import { duration, exact, relative, shortId } from '../../lib/format.js';
import { can, useSession } from '../../lib/session.js';
import { StartForm } from './start-form.js';
import './workflows.css';
import type { WorkflowDetail } from './types.js';

interface RunRow {
  run_id: string;
  status: string;
  created_at: string;
  duration_ms?: number;
  elapsed_ms?: number;
  error?: { code?: string; message?: string };
}

export function WorkflowView(props: { name: string }) {
  const who = useSession().who;
  const name = encodeURIComponent(props.name);
  const detail = useApi<WorkflowDetail>(`/api/workflows/${name}`);
  const runs = useApi<{ runs: RunRow[] }>(`/api/runs?workflow=${name}&limit=20`, 3000);
  const w = detail.data;
  return (
    <section class="workflow">
      <ViewHeader title={props.name}>
        <Link href="/workflows">all workflows</Link>
      </ViewHeader>
      <ErrorBanner error={detail.error} />
      {w ? (
        <>
          {w.description ? <p>{w.description}</p> : null}
          <div class="columns">
            <div class="panel">
              <h2>Start a run</h2>
              {can('operate', who) ? <StartForm workflow={w.name} inputs={w.inputs} /> : <p class="muted">Starting runs needs an operator's token; this one may only read.</p>}
            </div>
            <div class="panel">
              <h2>Triggers</h2>
              {w.triggers.length === 0 ? <p class="muted">None: runs start when asked (baton run, the API, this page).</p> : null}
              <ul class="plain">
                {w.triggers.map((t, i) => (
                  <li key={i}>
                    <span class="label-chip">{t.type}</span> {t.fires_on} {t.url ? <span class="mono small">{t.url}</span> : null}
                  </li>
                ))}
                {w.schedules.map((s) => (
                  <li key={s.id} class="muted small">
                    {s.id}: {s.paused ? 'paused' : s.next ? <span title={exact(s.next)}>next {relative(s.next)}</span> : 'no next firing'}
                  </li>
                ))}
              </ul>
            </div>
          </div>
        </>
      ) : null}
      <h2>Runs</h2>
      <ErrorBanner error={runs.error} />
      <div class="table-wrap">
        <table class="workflow-runs">
          <thead>
            <tr>
              <th>run</th>
              <th>status</th>
              <th>started</th>
              <th>duration</th>
              <th class="hide-narrow">error</th>
            </tr>
          </thead>
          <tbody>
            {(runs.data?.runs ?? []).map((r) => (
              <tr key={r.run_id} data-run={r.run_id}>
                <td class="mono">
                  <Link href={`/runs/${r.run_id}`}>{shortId(r.run_id)}</Link>
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td title={exact(r.created_at)}>{relative(r.created_at)}</td>
                <td>{duration(r.duration_ms ?? r.elapsed_ms)}</td>
                <td class="hide-narrow muted small">{r.error ? `${r.error.code ?? ''} ${r.error.message ?? ''}` : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {runs.data && runs.data.runs.length === 0 ? <p class="muted">No runs yet.</p> : null}
      {w?.source !== undefined ? (
        <>
          <h2>
            Definition <span class="muted small mono">{w.file}</span>
          </h2>
          <pre class="source">
            <code>{w.source}</code>
          </pre>
          {w.source_truncated ? <p class="muted small">The file is longer: the first 256 KiB are shown.</p> : null}
        </>
      ) : null}
    </section>
  );
}
