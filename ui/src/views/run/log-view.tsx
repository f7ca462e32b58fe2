/**
 * A task's log as it streams: ANSI colours and bold drawn as classes (lib/ansi.ts; the text is
 * only ever text), a search that highlights every match and steps through the lines that have
 * one, the view following the end unless scrolled up, and a download of the whole log
 * (GET /api/runs/{id}/logs, page after page). Lines are virtualised like the timeline's rows.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api } from '../../lib/api.js';
import { highlightSegments, matchingLines, parseAnsi, segmentClasses, stripAnsi, type AnsiSegment } from '../../lib/ansi.js';
import { ErrorBanner } from '../../lib/components.js';
import { visibleRows } from './timeline.js';
import type { LogLine } from './use-run.js';

const LINE = 18;

export function LogView(props: { runId: string; task: string; lines: LogLine[]; dropped: number; version: number }) {
  const [query, setQuery] = useState('');
  const [at, setAt] = useState(0);
  const [error, setError] = useState<unknown>();
  const [downloading, setDownloading] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 320 });
  const follow = useRef(true);
  const count = props.lines.length;
  // Each line's segments, with the style carried from the line before it (a colour may span lines).
  const parsed = useMemo(() => {
    const out: AnsiSegment[][] = [];
    let style = {};
    for (const line of props.lines) {
      const { segments, end } = parseAnsi(line.text, style);
      out.push(segments);
      style = end;
    }
    return out;
  }, [props.version, props.task, count]);
  const matches = useMemo(() => matchingLines(props.lines.map((l) => l.text), query), [query, count, props.task]);
  const current = matches.length === 0 ? -1 : matches[Math.min(at, matches.length - 1)];

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const update = () => {
      follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - LINE * 2;
      setScroll({ top: el.scrollTop, height: el.clientHeight });
    };
    update();
    el.addEventListener('scroll', update, { passive: true });
    return () => el.removeEventListener('scroll', update);
  }, []);
  // New lines: keep the end in view while following it.
  useEffect(() => {
    const el = box.current;
    if (el && follow.current && current < 0) el.scrollTop = el.scrollHeight;
  }, [count]);
  // A match chosen: bring its line into view.
  useEffect(() => {
    const el = box.current;
    if (el && current >= 0) {
      follow.current = false;
      el.scrollTop = Math.max(0, current * LINE - el.clientHeight / 2);
    }
  }, [current, query]);

  const step = (by: number) => {
    if (matches.length === 0) return;
    setAt((i) => (Math.min(i, matches.length - 1) + by + matches.length) % matches.length);
  };
  const download = async () => {
    setDownloading(true);
    setError(undefined);
    try {
      const text = await fullLog(props.runId, props.task);
      const url = URL.createObjectURL(new Blob([stripAnsi(text)], { type: 'text/plain' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${props.runId}-${props.task.replace(/[^\w.-]+/g, '_')}.log`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setError(err);
    } finally {
      setDownloading(false);
    }
  };

  const { from, to } = visibleRows(scroll.top, scroll.height, LINE, count);
  return (
    <div class="log-view">
      <div class="log-tools">
        <input
          type="search"
          placeholder="search the log"
          aria-label="search the log"
          value={query}
          onInput={(e) => {
            setQuery((e.target as HTMLInputElement).value);
            setAt(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') step(e.shiftKey ? -1 : 1);
          }}
        />
        <span class="muted match-count">{query ? (matches.length === 0 ? 'no match' : `${Math.min(at, matches.length - 1) + 1} of ${matches.length}`) : `${count} lines`}</span>
        <button type="button" class="link" data-action="prev-match" disabled={matches.length === 0} onClick={() => step(-1)} aria-label="previous match">
          ↑
        </button>
        <button type="button" class="link" data-action="next-match" disabled={matches.length === 0} onClick={() => step(1)} aria-label="next match">
          ↓
        </button>
        <button type="button" class="link" data-action="download" disabled={downloading} onClick={download}>
          {downloading ? 'downloading…' : 'download'}
        </button>
      </div>
      {props.dropped > 0 ? <p class="muted">the first {props.dropped} lines are not shown here: download has them all</p> : null}
      <ErrorBanner error={error} onDismiss={() => setError(undefined)} />
      <div class="log-lines" ref={box} data-lines={count}>
        {count === 0 ? <p class="muted empty">no output yet</p> : null}
        <div class="spacer" style={{ height: `${count * LINE}px` }}>
          {props.lines.slice(from, to).map((line, i) => {
            const index = from + i;
            return (
              <div key={index} class={`log-line ${line.stream}${index === current ? ' current' : ''}`} data-line={index} style={{ top: `${index * LINE}px` }}>
                {line.attempt > 1 ? <span class="attempt">#{line.attempt} </span> : null}
                {highlightSegments(parsed[index] ?? [], query).map((part, j) => (
                  <Segment key={j} segment={part} hit={part.hit} />
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function Segment(props: { segment: AnsiSegment; hit: boolean }) {
  const look = segmentClasses(props.segment.style);
  const style = { ...(look.color ? { color: look.color } : {}), ...(look.background ? { background: look.background } : {}) };
  const text = props.hit ? <mark>{props.segment.text}</mark> : props.segment.text;
  return (
    <span class={look.classes} style={style}>
      {text}
    </span>
  );
}

/** The task's whole log, page after page from the start. */
async function fullLog(runId: string, task: string): Promise<string> {
  let text = '';
  let offset = '0';
  for (let page = 0; page < 1000; page++) {
    const res = await api<{ text: string; bytes: number; next?: string }>(`/api/runs/${encodeURIComponent(runId)}/logs?task=${encodeURIComponent(task)}&offset=${encodeURIComponent(offset)}&limit_bytes=1048576`);
    text += res.text;
    if (res.bytes === 0 || res.next === undefined || res.next === offset) break;
    offset = res.next;
  }
  return text;
}
