/**
 * The timeline: a row per task, a bar per attempt (its outcome's colour; a retried task has
 * one bar per attempt), the waits before them hatched (ready but not started, a retry's
 * back-off), the critical path's rows marked. Rows are virtualised: only those in the scroll
 * box (and a few around) are in the DOM, so 2,000 tasks scroll as smoothly as 20.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { duration } from '../../lib/format.js';
import type { AttemptLog } from './attempts.js';
import { span, timelineRows, visibleRows, xOf } from './timeline.js';
import type { TaskJson } from './types.js';

const ROW = 24;
const LABEL = 220;

export function RunTimeline(props: { tasks: TaskJson[]; attempts: AttemptLog; live: boolean; selected?: string; critical: ReadonlySet<string>; onSelect: (task: string) => void; version: number }) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 480, width: 900 });
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => setScroll({ top: el.scrollTop, height: el.clientHeight, width: el.clientWidth });
    update();
    el.addEventListener('scroll', update, { passive: true });
    window.addEventListener('resize', update);
    return () => {
      el.removeEventListener('scroll', update);
      window.removeEventListener('resize', update);
    };
  }, []);
  // A live run's bars grow with the clock.
  useEffect(() => {
    if (!props.live) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [props.live]);

  const rows = timelineRows(props.tasks, props.attempts);
  const range = span(props.attempts, now, props.live);
  const width = Math.max(200, scroll.width - LABEL - 24);
  const { from, to } = visibleRows(scroll.top, scroll.height, ROW, rows.length);
  const x = (at: number) => xOf(at, range, width);
  return (
    <div class="run-timeline">
      <div class="axis">
        <span class="label-col">task</span>
        <span>0</span>
        <span class="muted">{duration(range.end - range.start)}</span>
      </div>
      <div class="rows" ref={box} data-rows={rows.length}>
        <div class="spacer" style={{ height: `${rows.length * ROW}px` }}>
          {rows.slice(from, to).map((row, i) => {
            const id = row.task.id;
            return (
              <div
                key={id}
                class={`row${props.selected === id ? ' selected' : ''}${props.critical.has(id) ? ' critical' : ''}`}
                data-task={id}
                style={{ top: `${(from + i) * ROW}px` }}
                onClick={() => props.onSelect(id)}
              >
                <span class="label-col" style={{ paddingLeft: `${6 + row.depth * 12}px` }} title={id}>
                  {id}
                </span>
                <span class="track" style={{ width: `${width}px` }}>
                  {row.gaps.map((gap, j) => {
                    const left = x(gap.start);
                    const right = x(gap.end ?? (props.live ? now : props.attempts.lastAt));
                    return <span key={`g${j}`} class={`gap gap-${gap.kind}`} title={`${gap.kind === 'retry' ? 'waiting to retry' : 'ready, waiting to start'} ${duration((gap.end ?? now) - gap.start)}`} style={{ left: `${left}px`, width: `${Math.max(1, right - left)}px` }} />;
                  })}
                  {row.attempts.map((a) => {
                    const left = x(a.start);
                    const right = x(a.end ?? now);
                    return (
                      <span
                        key={`a${a.attempt}`}
                        class={`bar outcome-${a.outcome}`}
                        data-attempt={a.attempt}
                        title={`${id} attempt ${a.attempt}: ${a.outcome}, ${duration((a.end ?? now) - a.start)}${a.error ? ` (${a.error.code})` : ''}`}
                        style={{ left: `${left}px`, width: `${Math.max(2, right - left)}px` }}
                      />
                    );
                  })}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      <p class="legend muted">
        <span class="bar outcome-succeeded" /> succeeded <span class="bar outcome-failed" /> failed <span class="bar outcome-running" /> running <span class="gap gap-retry" /> waiting to retry <span class="gap gap-ready" /> ready, not started <span class="crit-mark" /> critical path
      </p>
    </div>
  );
}
