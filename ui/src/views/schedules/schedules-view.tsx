/**
 * `/schedules`: the schedules with their next firing, paused or not, and Pause/Resume for
 * operators and admins (hidden from the other roles, whom the server refuses anyway); every
 * trigger served with what fires it; the recent firings with their outcome and why
 * (refused webhooks, filtered events, duplicates). Asked for again every 5 s.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { ErrorBanner, Link, ViewHeader } from '../../lib/components.js';
import { exact, relative, shortId } from '../../lib/format.js';
import { useApi } from '../../lib/use-api.js';
import { can, useSession } from '../../lib/session.js';
import '../workflows/workflows.css';
import './schedules.css';

interface Schedule {
  id: string;
  workflow: string;
  cron: string;
  timezone: string;
  missed: string;
  origin: 'file' | 'added';
  paused: boolean;
  next?: string;
  file?: string;
  problem?: string;
}
interface Trigger {
  workflow: string;
  type: string;
  fires_on: string;
  url?: string;
  subscription?: { connected: boolean; problem?: string };
}
interface Firing {
  id: number;
  workflow: string;
  trigger: string;
  source: string;
  at: number;
  outcome: 'started' | 'filtered' | 'refused' | 'duplicate' | 'failed';
  reason?: string;
  code?: string;
  run_id?: string;
}

const POLL_MS = 5000;

export function SchedulesView() {
  const who = useSession().who;
  const schedules = useApi<{ schedules: Schedule[] }>('/api/schedules', POLL_MS);
  const triggers = useApi<{ triggers: Trigger[] }>('/api/triggers', POLL_MS);
  const firings = useApi<{ firings: Firing[] }>('/api/firings?limit=50', POLL_MS);
  const [actionError, setActionError] = useState<unknown>();
  const [busy, setBusy] = useState<string>();
  const mayPause = can('operate', who);

  const toggle = async (s: Schedule) => {
    setBusy(s.id);
    try {
      await api(`/api/schedules/${encodeURIComponent(s.id)}/${s.paused ? 'resume' : 'pause'}`, { method: 'POST' });
      setActionError(undefined);
      schedules.reload();
    } catch (err) {
      setActionError(err);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section>
      <ViewHeader title="Schedules and triggers" />
      <ErrorBanner error={schedules.error ?? triggers.error ?? firings.error} />
      <ErrorBanner error={actionError} onDismiss={() => setActionError(undefined)} />
      <h2>Schedules</h2>
      <div class="table-wrap">
        <table class="schedules">
          <thead>
            <tr>
              <th>schedule</th>
              <th>workflow</th>
              <th>cron</th>
              <th>next firing</th>
              <th>state</th>
              {mayPause ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {(schedules.data?.schedules ?? []).map((s) => (
              <tr key={s.id} data-schedule={s.id}>
                <td class="mono small">{s.id}</td>
                <td>
                  <Link href={`/workflows/${encodeURIComponent(s.workflow)}`}>{s.workflow}</Link>
                </td>
                <td class="mono">
                  {s.cron} <span class="muted small">{s.timezone}</span>
                </td>
                <td class="next" title={exact(s.next)}>
                  {s.next ? (
                    <>
                      {relative(s.next)} <span class="muted small">{exact(s.next)}</span>
                    </>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
                <td class="state">{s.problem ? <span class="badge status-failed" title={s.problem}>problem</span> : s.paused ? <span class="badge status-paused">paused</span> : <span class="badge status-succeeded">active</span>}</td>
                {mayPause ? (
                  <td>
                    <button type="button" class="small-button" disabled={busy === s.id} onClick={() => void toggle(s)}>
                      {s.paused ? 'Resume' : 'Pause'}
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {schedules.data && schedules.data.schedules.length === 0 ? <p class="muted">No schedules: give a workflow a schedule trigger, or use baton schedule add.</p> : null}

      <h2>Triggers</h2>
      <div class="table-wrap">
        <table class="triggers">
          <thead>
            <tr>
              <th>workflow</th>
              <th>type</th>
              <th>fires on</th>
            </tr>
          </thead>
          <tbody>
            {(triggers.data?.triggers ?? []).map((t, i) => (
              <tr key={i}>
                <td>
                  <Link href={`/workflows/${encodeURIComponent(t.workflow)}`}>{t.workflow}</Link>
                </td>
                <td>
                  <span class="label-chip">{t.type}</span>
                </td>
                <td>
                  {t.fires_on} {t.url ? <span class="mono small">{t.url}</span> : null}
                  {t.subscription && !t.subscription.connected ? <span class="bad small"> not connected{t.subscription.problem ? `: ${t.subscription.problem}` : ''}</span> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2>Recent firings</h2>
      <div class="table-wrap">
        <table class="firings">
          <thead>
            <tr>
              <th>when</th>
              <th>workflow</th>
              <th>trigger</th>
              <th>outcome</th>
              <th>why / run</th>
            </tr>
          </thead>
          <tbody>
            {(firings.data?.firings ?? []).map((f) => (
              <tr key={f.id} data-outcome={f.outcome}>
                <td title={exact(new Date(f.at).toISOString())}>{relative(new Date(f.at).toISOString())}</td>
                <td>{f.workflow}</td>
                <td>
                  <span class="label-chip">{f.trigger}</span> <span class="mono small muted">{f.source}</span>
                </td>
                <td>
                  <span class={`badge outcome-${f.outcome}`}>{f.outcome}</span>
                </td>
                <td class="small">
                  {f.code ? <span class="mono">{f.code} </span> : null}
                  {f.reason ?? ''}
                  {f.run_id ? (
                    <>
                      {' '}
                      <Link href={`/runs/${f.run_id}`} class="mono">
                        {shortId(f.run_id)}
                      </Link>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {firings.data && firings.data.firings.length === 0 ? <p class="muted">No firings yet.</p> : null}
    </section>
  );
}
