/**
 * `/`: the runs, newest first, live (use-runs.ts polls the page every 2 s). Filters and the
 * page are in the URL (runs-query.ts). Keys: j/k or the arrows move, Enter opens, / goes to
 * the workflow filter. An operator sees Cancel on unfinished runs; a viewer does not.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { ErrorBanner, Link, StatusBadge, ViewHeader } from '../../lib/components.js';
import { duration, exact, relative, shortId } from '../../lib/format.js';
import { navigate, useRoute } from '../../lib/router.js';
import { can, useSession } from '../../lib/session.js';
import { RunsFilters } from './runs-filters.js';
import { hrefOf, readQuery } from './runs-query.js';
import { useRuns, type RunRow } from './use-runs.js';

const UNFINISHED = new Set(['pending', 'queued', 'running', 'waiting']);

export function RunsView() {
  const { search } = useRoute();
  const who = useSession().who;
  const query = readQuery(search);
  const { page, error, loading, refresh } = useRuns(query);
  const [actionError, setActionError] = useState<unknown>();
  const [selected, setSelected] = useState<string>();
  const workflowInput = useRef<HTMLInputElement>(null);
  const rows = page?.runs ?? [];
  const at = Math.max(0, rows.findIndex((r) => r.run_id === selected));

  // The selection follows its run across refreshes, not its row number.
  useRunsKeys({
    move: (by) => rows.length > 0 && setSelected(rows[Math.min(rows.length - 1, Math.max(0, (selected === undefined ? -1 : at) + by))]!.run_id),
    open: () => rows[at] && navigate(`/runs/${rows[at]!.run_id}`),
    focusFilter: () => workflowInput.current?.focus(),
  });

  useEffect(() => {
    if (selected) document.querySelector(`tr[data-run="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const cancel = (run: RunRow) =>
    api(`/api/runs/${run.run_id}/cancel`, { method: 'POST', body: { reason: `cancelled from the web UI by ${who?.actor ?? 'someone'}` } }).then(() => {
      setActionError(undefined);
      refresh();
    }, setActionError);

  return (
    <section>
      <ViewHeader title="Runs">
        <span class="live" title="the list is asked for again every 2 seconds">
          live
        </span>
      </ViewHeader>
      <RunsFilters query={query} workflowInput={workflowInput} onError={setActionError} />
      <ErrorBanner error={error} />
      <ErrorBanner error={actionError} onDismiss={() => setActionError(undefined)} />
      <div class="table-wrap">
        <table class="runs">
          <thead>
            <tr>
              <th>run</th>
              <th>workflow</th>
              <th>status</th>
              <th>created</th>
              <th>duration</th>
              <th class="hide-narrow">tasks</th>
              <th class="hide-narrow" />
            </tr>
          </thead>
          <tbody>
            {rows.map((run) => (
              <tr key={run.run_id} data-run={run.run_id} class={run.run_id === selected ? 'selected' : ''} onClick={() => navigate(`/runs/${run.run_id}`)}>
                <td class="mono">
                  <Link href={`/runs/${run.run_id}`} title={run.run_id}>
                    {shortId(run.run_id)}
                  </Link>
                </td>
                <td>{run.workflow.name}</td>
                <td>
                  <StatusBadge status={run.status} />
                </td>
                <td title={exact(run.created_at)}>{relative(run.created_at)}</td>
                <td>{duration(run.duration_ms ?? run.elapsed_ms)}</td>
                <td class="hide-narrow">{tasksOf(run)}</td>
                <td class="hide-narrow">
                  {can('operate', who) && UNFINISHED.has(run.status) ? (
                    <button
                      type="button"
                      class="link"
                      onClick={(e) => {
                        e.stopPropagation();
                        void cancel(run);
                      }}
                    >
                      Cancel
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!loading && rows.length === 0 && !error ? <p class="muted empty">No runs{query.workflow || query.status || query.trigger || query.since ? ' match these filters' : ' yet'}.</p> : null}
      <nav class="pager" aria-label="pages">
        {query.cursor ? <Link href={hrefOf({ ...query, cursor: undefined })}>← Newest</Link> : null}
        {page?.next_cursor ? <Link href={hrefOf({ ...query, cursor: page.next_cursor })}>Older →</Link> : null}
        <span class="muted keys">j/k move · Enter open · / filter</span>
      </nav>
    </section>
  );
}

function tasksOf(run: RunRow): string {
  // The engine's counts: one per task status, and `total`.
  const counts = run.counts ?? {};
  return !counts.total ? '' : `${counts.succeeded ?? 0}/${counts.total}`;
}

/** The view's keys, ignored while typing in a field. */
function useRunsKeys(actions: { move: (by: number) => void; open: () => void; focusFilter: () => void }) {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.metaKey || e.ctrlKey || e.altKey || target.closest('input, select, textarea, button, a')) return;
      const act = latest.current;
      if (e.key === 'j' || e.key === 'ArrowDown') act.move(1);
      else if (e.key === 'k' || e.key === 'ArrowUp') act.move(-1);
      else if (e.key === 'Enter') act.open();
      else if (e.key === '/') act.focusFilter();
      else return;
      e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}
