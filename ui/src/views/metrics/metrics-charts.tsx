/**
 * The Metrics view's charts, drawn by uPlot on canvas. This module (with uPlot and its CSS)
 * is its own chunk, loaded only when /metrics is opened, so the Runs page's first load does
 * not carry it. Colours are read from the page's CSS variables when a chart is made, and
 * the charts are made again when the theme changes, so they read well in light and dark.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatValue, type ChartData } from './series-data.js';

/** Eight hues that keep their contrast on a white and on a near-black background. */
const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#9c6fbd', '#d4a500', '#2fa3a3', '#d36ba1'];

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** Changes when the theme does (the toggle's data-theme, or the system's preference). */
function useThemeKey(): number {
  const [key, setKey] = useState(0);
  useEffect(() => {
    const bump = () => setKey((n) => n + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const media = matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', bump);
    return () => {
      observer.disconnect();
      media.removeEventListener('change', bump);
    };
  }, []);
  return key;
}

export function Chart(props: { chart: ChartData }) {
  const box = useRef<HTMLDivElement>(null);
  const theme = useThemeKey();
  const { chart } = props;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--muted');
    const grid = cssVar('--border');
    const colorOf = (c: ChartData['lines'][number]['color']) => (typeof c === 'number' ? PALETTE[c % PALETTE.length]! : cssVar(c === 'ok' ? '--ok' : c === 'bad' ? '--bad' : '--accent'));
    const bars = uPlot.paths.bars!({ size: [0.7, 60] });
    // Half a bucket of room at each end, so the first and last bars are drawn whole.
    const half = chart.x.length > 1 ? (chart.x[1]! - chart.x[0]!) / 2 : 1800;
    const fmt = (v: number | null) => formatValue(chart.unit, v);
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 220,
      cursor: { points: { size: 6 } },
      scales: { x: { time: true, range: (_u, min, max) => [min - half, max + half] }, y: chart.unit === '%' ? { range: [0, 100] } : { range: (_u, _min, max) => [0, Math.max(chart.unit === 'runs' ? 1 : 10, max * 1.1)] } },
      axes: [
        { ...axis },
        { ...axis, size: 60, values: (_u, splits) => splits.map((v) => fmt(v)) },
      ],
      series: [
        { value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleString()) },
        ...chart.lines.map((line) => {
          const color = colorOf(line.color);
          return {
            label: line.label,
            stroke: color,
            width: line.bars ? 0 : 2,
            ...(line.bars ? { fill: color, paths: bars, points: { show: false } } : { spanGaps: true, points: { show: true, size: 5, fill: color } }),
            ...(line.dash ? { dash: [6, 4] } : {}),
            value: (_u: uPlot, v: number | null) => fmt(v),
          } satisfies uPlot.Series;
        }),
      ],
    };
    const data = [chart.x, ...chart.lines.map((l) => l.values)] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    // Follow the column's width (a window resize, a narrow screen).
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [chart, theme]);
  return (
    <figure class="chart" data-chart={chart.title}>
      <figcaption>{chart.title}</figcaption>
      {chart.lines.length === 0 ? <p class="muted small">Nothing to draw in this window.</p> : <div ref={box} class="chart-box" />}
    </figure>
  );
}
