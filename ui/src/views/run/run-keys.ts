/**
 * The Run view's keys (docs/ui.md): g t e d switch to the graph, timeline, events and
 * definition; j / k select the next or previous task; Escape closes the task panel; / goes
 * to the log's search. Ignored while typing in a field, as the Runs view's are.
 */
import { useEffect, useRef } from 'preact/hooks';

export interface RunKeyActions {
  tab: (name: 'graph' | 'timeline' | 'events' | 'definition') => void;
  move: (by: number) => void;
  close: () => void;
  search: () => void;
}

const TABS = { g: 'graph', t: 'timeline', e: 'events', d: 'definition' } as const;

export function useRunKeys(actions: RunKeyActions): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (e.metaKey || e.ctrlKey || e.altKey || target.closest('input, select, textarea')) return;
      const act = latest.current;
      if (e.key in TABS) act.tab(TABS[e.key as keyof typeof TABS]);
      else if (e.key === 'j' || e.key === 'ArrowDown') act.move(1);
      else if (e.key === 'k' || e.key === 'ArrowUp') act.move(-1);
      else if (e.key === 'Escape') act.close();
      else if (e.key === '/') act.search();
      else return;
      e.preventDefault();
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}
