/** `/`: the runs, newest first. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { ErrorBanner, Link, StatusBadge, ViewHeader } from '../../lib/components.js';
import { duration, relative, shortId } from '../../lib/format.js';

interface RunRow {
  run_id: string;
  workflow: { name: string };
  status: string;
  created_at: string;
  duration_ms?: number;
  elapsed_ms?: number;
}

export function RunsView() {
  const [runs, setRuns] = useState<RunRow[]>([]);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    api<{ runs: RunRow[] }>('/api/runs?limit=50').then((page) => setRuns(page.runs), setError);
  }, []);
  return (
    <section>
      <ViewHeader title="Runs" />
      <ErrorBanner error={error} />
      <table class="runs">
        <thead>
          <tr>
            <th>run</th>
            <th>workflow</th>
            <th>status</th>
            <th>started</th>
            <th>duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.run_id}>
              <td>
                <Link href={`/runs/${run.run_id}`}>{shortId(run.run_id)}</Link>
              </td>
              <td>{run.workflow.name}</td>
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>{relative(run.created_at)}</td>
              <td>{duration(run.duration_ms ?? run.elapsed_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
