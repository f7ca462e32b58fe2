/**
 * The run's graph as SVG (graph-layout.ts places it): a node per top-level task coloured by
 * its state, composites as boxes of chips or, when large, of counts; the critical path
 * outlined. Only what meets the visible part of the scroll box is drawn, so a wide run costs
 * what is on screen. Clicking a node or chip selects that task.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ErrorBanner } from '../../lib/components.js';
import type { GraphLayout, GraphNode } from './graph-layout.js';
import { runningProgress } from './progress.js';
import type { TaskJson } from './types.js';

// dagre is a third of the UI's code: loaded with the first graph drawn, not with every page.
type Layout = typeof import('./graph-layout.js');
let loading: Promise<Layout> | undefined;
const EMPTY: GraphLayout = { nodes: [], edges: [], width: 0, height: 0 };

export function RunGraph(props: { tasks: TaskJson[]; code: boolean; selected?: string; critical: ReadonlySet<string>; onSelect: (task: string) => void; version: number }) {
  // Laid out again only when the tasks' set or states change, not on every log line.
  const shape = props.tasks.map((t) => `${t.id}:${t.status}`).join('|');
  const [mod, setMod] = useState<Layout>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    loading ??= import('./graph-layout.js');
    loading.then(setMod, (err: unknown) => {
      loading = undefined;
      setError(err);
    });
  }, []);
  const layout = useMemo(() => (mod ? mod.layoutGraph(props.tasks, { code: props.code }) : EMPTY), [shape, props.code, mod]);
  // Progress moves without moving anything else: read at each render, not laid out again.
  const progress = runningProgress(props.tasks);
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState({ x: 0, y: 0, w: 1400, h: 800 });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => setView({ x: el.scrollLeft, y: el.scrollTop, w: el.clientWidth, h: el.clientHeight });
    update();
    el.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      el.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, []);
  const shown = mod ? mod.visibleNodes(layout.nodes, view) : [];
  const shownIds = new Set(shown.map((n) => n.id));
  return (
    <div class="run-graph" ref={box} data-nodes={layout.nodes.length}>
      <ErrorBanner error={error} />
      <svg width={layout.width} height={layout.height} role="img" aria-label="run graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" class="arrow" />
          </marker>
        </defs>
        {layout.edges
          .filter((e) => shownIds.has(e.from) || shownIds.has(e.to))
          .map((e) => (
            <path key={`${e.from}>${e.to}`} class={`edge${props.critical.has(e.from) && props.critical.has(e.to) ? ' critical' : ''}`} d={pathOf(e.points)} marker-end="url(#arrow)" />
          ))}
        {shown.map((node) => (
          <Node key={node.id} node={node} progress={progress.get(node.id)} selected={props.selected} critical={props.critical} onSelect={props.onSelect} />
        ))}
      </svg>
    </div>
  );
}

function Node(props: { node: GraphNode; progress: number | undefined; selected?: string; critical: ReadonlySet<string>; onSelect: (task: string) => void }) {
  const { node, progress } = props;
  const group = node.chips !== undefined || node.counts !== undefined;
  const cls = `node state-${node.status}${group ? ' group' : ''}${props.selected === node.id ? ' selected' : ''}${props.critical.has(node.id) ? ' critical' : ''}`;
  return (
    <g class={cls} data-task={node.id} data-status={node.status} transform={`translate(${node.x},${node.y})`}>
      <rect class="box" width={node.w} height={node.h} rx={6} onClick={() => props.onSelect(node.id)}>
        <title>{`${node.id}: ${node.status}`}</title>
      </rect>
      <text class="label" x={10} y={group ? 19 : node.h / 2 + 5} onClick={() => props.onSelect(node.id)}>
        {clip(node.label, group ? 30 : 20)}
        {node.type && node.type !== 'shell' ? <tspan class="type"> {node.type}</tspan> : null}
        {node.size !== undefined ? <tspan class="type"> ({node.size})</tspan> : null}
      </text>
      {progress !== undefined ? (
        <rect class="progress" data-progress={Math.round(progress * 100)} x={1} y={node.h - 4} width={Math.max(2, (node.w - 2) * progress)} height={3} rx={1.5}>
          <title>{`${node.id}: ${Math.round(progress * 100)}%`}</title>
        </rect>
      ) : null}
      {node.chips?.map((chip) => (
        <g key={chip.id} class={`chip state-${chip.status}${props.selected === chip.id ? ' selected' : ''}${props.critical.has(chip.id) ? ' critical' : ''}`} data-task={chip.id} data-status={chip.status} transform={`translate(${chip.x},${chip.y})`} onClick={() => props.onSelect(chip.id)}>
          <rect class="box" width={chip.w} height={chip.h} rx={4}>
            <title>{`${chip.id}: ${chip.status}`}</title>
          </rect>
          <text class="label" x={8} y={chip.h / 2 + 4}>
            {clip(chip.label, 20)}
          </text>
        </g>
      ))}
      {node.counts ? (
        <text class="counts" x={10} y={48}>
          {Object.entries(node.counts).map(([status, n]) => (
            <tspan key={status} class={`count state-${status}`} data-count={status}>
              {`${n} ${status}  `}
            </tspan>
          ))}
        </text>
      ) : null}
    </g>
  );
}

function pathOf(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

