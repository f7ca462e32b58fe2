/**
 * What can be done to a run from its page, each through the public API: cancel
 * (POST /api/runs/{id}/cancel), retry its failed tasks or re-run from a chosen task
 * (POST /api/runs/{id}/retry, `{from}`), resume an interrupted run (/resume), and answer its
 * open approvals (POST /api/runs/{id}/approvals/{task}). An action the token's role cannot
 * take is not shown (lib/session.ts can); one that fails shows the server's error.
 */
import { useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { ErrorBanner } from '../../lib/components.js';
import { can, useSession } from '../../lib/session.js';
import type { RunJson } from './types.js';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

export interface OpenApproval {
  task: string;
  prompt?: string;
  approvers?: string[];
}

/** The run's open approvals: a code run's waits, a workflow file's approval tasks waiting. */
export function openApprovals(run: RunJson): OpenApproval[] {
  const out = new Map<string, OpenApproval>();
  for (const wait of run.waits ?? []) if (wait.kind === 'approval') out.set(wait.task, { task: wait.task, ...(wait.prompt ? { prompt: wait.prompt } : {}), ...(wait.approvers ? { approvers: wait.approvers } : {}) });
  for (const task of run.tasks) {
    const w = task.waiting_for;
    if (task.status === 'waiting' && w?.kind === 'approval' && !out.has(task.id)) out.set(task.id, { task: task.id, ...(w.prompt ? { prompt: w.prompt } : {}), ...(w.approvers ? { approvers: w.approvers } : {}) });
  }
  return [...out.values()];
}

export function RunActions(props: { run: RunJson; onDone: () => void }) {
  const { who } = useSession();
  const { run } = props;
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [from, setFrom] = useState('');
  const base = `/api/runs/${encodeURIComponent(run.run_id)}`;
  const act = async (name: string, path: string, body: unknown = {}) => {
    setBusy(name);
    setError(undefined);
    try {
      await api(path, { method: 'POST', body });
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(undefined);
    }
  };
  const finished = FINISHED.has(run.status);
  const operate = can('operate', who);
  const approvals = can('approve', who) ? openApprovals(run) : [];
  const topTasks = run.tasks.filter((t) => t.parent === undefined);
  return (
    <div class="run-actions">
      <div class="buttons">
        {operate && !finished ? (
          <button type="button" class="danger" data-action="cancel" disabled={busy !== undefined} onClick={() => act('cancel', `${base}/cancel`, { reason: 'cancelled from the web UI' })}>
            Cancel
          </button>
        ) : null}
        {operate && finished && run.status !== 'succeeded' ? (
          <button type="button" data-action="retry" disabled={busy !== undefined} onClick={() => act('retry', `${base}/retry`)}>
            Retry failed
          </button>
        ) : null}
        {operate && finished ? (
          <span class="rerun">
            <select aria-label="re-run from task" value={from} onChange={(e) => setFrom((e.target as HTMLSelectElement).value)}>
              <option value="">re-run from…</option>
              {topTasks.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.id}
                </option>
              ))}
            </select>
            <button type="button" data-action="rerun" disabled={busy !== undefined || from === ''} onClick={() => act('rerun', `${base}/retry`, { from })}>
              Re-run
            </button>
          </span>
        ) : null}
        {operate && run.status === 'interrupted' ? (
          <button type="button" data-action="resume" disabled={busy !== undefined} onClick={() => act('resume', `${base}/resume`)}>
            Resume
          </button>
        ) : null}
        {busy ? <span class="muted">{busy}…</span> : null}
      </div>
      {approvals.map((a) => (
        <div class="approval" key={a.task} data-approval={a.task}>
          <span>
            <strong>{a.task}</strong> waits for approval{a.prompt ? `: ${a.prompt}` : ''}
            {a.approvers?.length ? <span class="muted"> (approvers: {a.approvers.join(', ')})</span> : null}
          </span>
          <button type="button" data-action="approve" disabled={busy !== undefined} onClick={() => act('approve', `${base}/approvals/${encodeURIComponent(a.task)}`, { approved: true, comment: 'approved from the web UI' })}>
            Approve
          </button>
          <button type="button" class="danger" data-action="reject" disabled={busy !== undefined} onClick={() => act('reject', `${base}/approvals/${encodeURIComponent(a.task)}`, { approved: false, comment: 'rejected from the web UI' })}>
            Reject
          </button>
        </div>
      ))}
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
    </div>
  );
}
