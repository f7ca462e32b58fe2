// U2 replaces this with the Run view (graph, timeline, task panel): route /runs/:id, props { id }.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { ErrorBanner, StatusBadge, ViewHeader } from '../../lib/components.js';

interface RunSummary {
  run_id: string;
  status: string;
  workflow: { name: string };
}

export function RunView(props: { id: string }) {
  const [run, setRun] = useState<RunSummary>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<RunSummary>(`/api/runs/${encodeURIComponent(props.id)}`).then(setRun, setError);
  }, [props.id]);
  return (
    <section>
      <ViewHeader title={`Run ${props.id}`} />
      <ErrorBanner error={error} />
      {run ? (
        <p>
          {run.workflow.name} <StatusBadge status={run.status} />
        </p>
      ) : null}
    </section>
  );
}
