/**
 * A run as the Run view shows it, kept live: GET /api/runs/{id} for its tasks' states (and
 * `waiting_for`, `depends_on`), and one event stream (GET /api/runs/{id}/events, with log
 * lines) for everything else: the event history, the attempts, the definition (RunCreated)
 * and the logs. Each event asks for the run again, at most every 400 ms, so states follow
 * the stream; items are gathered and drawn at most every 100 ms, so a 2,000-task run's burst
 * of events at open costs a few renders, not thousands. A dropped stream reconnects (live.ts)
 * and the state says so.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../../lib/api.js';
import { followRun, type LiveState } from '../../lib/live.js';
import { AttemptLog } from './attempts.js';
import type { RunEventJson, RunJson } from './types.js';

/** Lines kept per task in the page; the download has them all. */
export const MAX_LINES = 10_000;

export interface LogLine {
  task: string;
  attempt: number;
  stream: 'stdout' | 'stderr';
  at: number;
  text: string;
}

export interface RunData {
  run?: RunJson;
  /** The run's RunCreated: its definition, inputs, trigger, kind. */
  created?: RunEventJson;
  events: RunEventJson[];
  attempts: AttemptLog;
  logs: Map<string, LogLine[]>;
  /** Lines dropped per task past MAX_LINES. */
  dropped: Map<string, number>;
  live: LiveState;
  liveError?: ApiError;
  /** The last failure to read the run. */
  error?: unknown;
  /** Bumped on every change: components memoise on it. */
  version: number;
  /** Ask for the run again now (after an action). */
  refresh: () => void;
}

export function useRun(id: string): RunData {
  const [version, setVersion] = useState(0);
  const state = useRef<Omit<RunData, 'version' | 'refresh'>>();
  const refreshRef = useRef<() => void>(() => {});
  if (state.current === undefined) state.current = fresh();

  useEffect(() => {
    const data = fresh();
    state.current = data;
    let alive = true;
    let drawTimer: ReturnType<typeof setTimeout> | undefined;
    const draw = () => {
      if (drawTimer !== undefined || !alive) return;
      drawTimer = setTimeout(() => {
        drawTimer = undefined;
        if (alive) setVersion((v) => v + 1);
      }, 100);
    };
    // The run, asked for again at most every 400 ms while events come.
    let fetching = false;
    let again = false;
    let lastFetch = 0;
    let fetchTimer: ReturnType<typeof setTimeout> | undefined;
    const fetchRun = async () => {
      if (fetching) {
        again = true;
        return;
      }
      fetching = true;
      lastFetch = Date.now();
      try {
        data.run = await api<RunJson>(`/api/runs/${encodeURIComponent(id)}`);
        data.error = undefined;
      } catch (err) {
        data.error = err;
      } finally {
        fetching = false;
        draw();
        if (again && alive) {
          again = false;
          schedule();
        }
      }
    };
    const schedule = () => {
      if (fetchTimer !== undefined || !alive) return;
      fetchTimer = setTimeout(() => {
        fetchTimer = undefined;
        void fetchRun();
      }, Math.max(0, 400 - (Date.now() - lastFetch)));
    };
    refreshRef.current = () => void fetchRun();
    void fetchRun();

    const stop = followRun(id, {
      onItem: (item) => {
        if (item.event === 'log') addLine(data, item.data as unknown as LogLine);
        else {
          const event = item.data as unknown as RunEventJson;
          data.events.push(event);
          data.attempts.apply(event);
          if (event.type === 'RunCreated') data.created = event;
          schedule();
        }
        draw();
      },
      onState: (live, error) => {
        data.live = live;
        data.liveError = live === 'open' || live === 'ended' ? undefined : error;
        // The stream picks up after the last item it got (Last-Event-ID): nothing is read twice.
        if (live === 'ended') void fetchRun();
        draw();
      },
    });
    return () => {
      alive = false;
      stop();
      clearTimeout(drawTimer);
      clearTimeout(fetchTimer);
    };
  }, [id]);

  return { ...state.current, version, refresh: () => refreshRef.current() };
}

function fresh(): Omit<RunData, 'version' | 'refresh'> {
  return { events: [], attempts: new AttemptLog(), logs: new Map(), dropped: new Map(), live: 'connecting' };
}

function addLine(data: Omit<RunData, 'version' | 'refresh'>, line: LogLine): void {
  let lines = data.logs.get(line.task);
  if (!lines) data.logs.set(line.task, (lines = []));
  lines.push(line);
  if (lines.length > MAX_LINES) {
    lines.splice(0, lines.length - MAX_LINES);
    data.dropped.set(line.task, (data.dropped.get(line.task) ?? 0) + 1);
  }
}
