/** The Runs view's filters: workflow (the served ones offered), status, trigger, time range. Each change is a new URL. */
import { useEffect, useState } from 'preact/hooks';
import type { Ref } from 'preact';
import { api } from '../../lib/api.js';
import { navigate } from '../../lib/router.js';
import { hrefOf, RANGES, STATUSES, TRIGGERS, type RunsQuery } from './runs-query.js';

export function RunsFilters(props: { query: RunsQuery; workflowInput: Ref<HTMLInputElement>; onError: (err: unknown) => void }) {
  const [names, setNames] = useState<string[]>([]);
  const [typed, setTyped] = useState(props.query.workflow ?? '');
  useEffect(() => setTyped(props.query.workflow ?? ''), [props.query.workflow]);
  useEffect(() => {
    api<{ workflows: Array<{ name: string }> }>('/api/workflows').then((w) => setNames(w.workflows.map((x) => x.name).sort()), props.onError);
  }, []);

  // A filter change starts again from the newest page.
  const apply = (change: Partial<RunsQuery>) => navigate(hrefOf({ ...props.query, ...change, cursor: undefined }));

  return (
    <form
      class="filters"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        apply({ workflow: typed.trim() || undefined });
      }}
    >
      <input
        ref={props.workflowInput}
        name="workflow"
        list="workflow-names"
        placeholder="workflow  ( / )"
        aria-label="workflow"
        value={typed}
        onInput={(e) => setTyped(e.currentTarget.value)}
        onChange={(e) => apply({ workflow: e.currentTarget.value.trim() || undefined })}
        onKeyDown={(e) => {
          if (e.key === 'Escape') e.currentTarget.blur();
        }}
      />
      <datalist id="workflow-names">
        {names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <select name="status" aria-label="status" value={props.query.status ?? ''} onChange={(e) => apply({ status: e.currentTarget.value || undefined })}>
        <option value="">any status</option>
        {STATUSES.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      <select name="trigger" aria-label="trigger" value={props.query.trigger ?? ''} onChange={(e) => apply({ trigger: e.currentTarget.value || undefined })}>
        <option value="">any trigger</option>
        {TRIGGERS.map((t) => (
          <option key={t} value={t}>
            {t === 'manual' ? 'started by hand' : t.replace('_', ' ')}
          </option>
        ))}
      </select>
      <select name="since" aria-label="time range" value={props.query.since ?? ''} onChange={(e) => apply({ since: e.currentTarget.value || undefined })}>
        {RANGES.map((r) => (
          <option key={r.value} value={r.value}>
            {r.label}
          </option>
        ))}
      </select>
      {props.query.workflow || props.query.status || props.query.trigger || props.query.since ? (
        <button type="button" class="link" onClick={() => navigate('/')}>
          clear
        </button>
      ) : null}
    </form>
  );
}
