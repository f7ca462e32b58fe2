/**
 * A workflow's last runs as a row of small cells, oldest on the left, each coloured by its
 * status (styles: .strip .cell.status-*) and linking to its run. Empty slots keep every
 * strip the same width, so strips line up down the list.
 */
import { Link } from '../../lib/components.js';
import { duration, exact, shortId } from '../../lib/format.js';
import type { RecentRun } from './types.js';

export function HistoryStrip(props: { runs: RecentRun[]; slots: number }) {
  const oldestFirst = [...props.runs].reverse();
  const empty = Math.max(0, props.slots - oldestFirst.length);
  return (
    <span class="strip" aria-label={`last ${props.runs.length} runs`}>
      {Array.from({ length: empty }, (_, i) => (
        <span key={`empty-${i}`} class="cell empty" />
      ))}
      {oldestFirst.map((run) => (
        <Link key={run.run_id} href={`/runs/${run.run_id}`} class={`cell status-${run.status}`} title={`${shortId(run.run_id)} ${run.status} · ${exact(run.created_at)}${run.duration_ms === undefined ? '' : ` · ${duration(run.duration_ms)}`}`}>
          <span class="sr-only">{run.status}</span>
        </Link>
      ))}
    </span>
  );
}
