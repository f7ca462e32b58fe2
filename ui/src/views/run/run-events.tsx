/** The run's event history as the stream gave it, oldest first, virtualised (a 2,000-task run has some 10,000). */
import { useEffect, useRef, useState } from 'preact/hooks';
import { visibleRows } from './timeline.js';
import type { RunEventJson } from './types.js';

const ROW = 22;
const SKIP = new Set(['type', 'seq', 'at', 'task', 'workflow']);

export function RunEvents(props: { events: RunEventJson[]; onSelect: (task: string) => void; version: number }) {
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 480 });
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => setScroll({ top: el.scrollTop, height: el.clientHeight });
    update();
    el.addEventListener('scroll', update, { passive: true });
    return () => el.removeEventListener('scroll', update);
  }, []);
  const { from, to } = visibleRows(scroll.top, scroll.height, ROW, props.events.length);
  return (
    <div class="run-events" ref={box} data-events={props.events.length}>
      <div class="spacer" style={{ height: `${props.events.length * ROW}px` }}>
        {props.events.slice(from, to).map((event, i) => (
          <div key={event.seq} class="event-row" data-type={event.type} style={{ top: `${(from + i) * ROW}px` }}>
            <span class="seq muted">{event.seq}</span>
            <span class="time muted" title={new Date(event.at).toISOString()}>
              {new Date(event.at).toLocaleTimeString()}
            </span>
            <span class="type">{event.type}</span>
            {event.task ? (
              <button type="button" class="link" onClick={() => props.onSelect(event.task!)}>
                {event.task}
              </button>
            ) : null}
            <span class="detail muted">{detail(event)}</span>
          </div>
        ))}
      </div>
    </div>
  );
}

/** The event's other fields, short. */
function detail(event: RunEventJson): string {
  const rest = Object.entries(event).filter(([key]) => !SKIP.has(key));
  const text = rest.map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ');
  return text.length > 240 ? `${text.slice(0, 239)}…` : text;
}
