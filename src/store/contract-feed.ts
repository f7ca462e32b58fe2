/**
 * The contract of the run feed (store/run-feed.ts): every run's events, store-wide, from the
 * moment a reader starts following: each once, each run's in order; what `baton serve`'s
 * metrics follow.
 */
import { expect, it } from 'vitest';
import { ev, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';
import type { FeedEvent, FeedReader } from './run-feed.js';
import type { OpenSibling } from './contract-keys.js';

/**
 * Reads in pages of `page` until `count` events are in. On PostgreSQL an event shows once
 * every transaction older than its own is over, and tests of other suites may hold one open
 * on the same server for a moment: so reading goes on until they are in (or a generous
 * deadline passes), never a sleep standing in for it.
 */
async function readAll(reader: FeedReader, count: number, page = 1000, types?: ReadonlySet<string>): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    const read = await reader.read(page, types);
    events.push(...read);
    if (read.length === page) continue;
    if (events.length >= count || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const shown = (events: FeedEvent[]) => events.map((e) => `${e.run_id}#${e.event.seq}:${e.event.type}`);
/** Each run's events as read, in the order read: runs may interleave in any order, a run's own may not. */
const byRun = (events: FeedEvent[]) => {
  const runs: Record<string, string[]> = {};
  for (const e of events) (runs[e.run_id] ??= []).push(`${e.event.seq}:${e.event.type}`);
  return runs;
};
const created = (id: string, at: number, workflow = 'deploy', namespace?: string): [{ id: string; workflow: string; created_at: number }, TimedEvent[]] => [
  { id, workflow, created_at: at },
  [{ ...ev.created(at), ...(namespace ? { namespace } : {}) } as TimedEvent],
];
/** Event times near the real clock: the SQLite reader looks for runs it does not know by their events' times. */
const now = () => Date.now();

export function feedContract(makeStore: MakeStore, openSibling: OpenSibling): void {
  const store = useStore(makeStore);

  it('reads nothing when nothing was committed since it started following', async () => {
    const s = store();
    await s.runs.createRun(...created('OLD', now()));
    const reader = await s.feed.follow();
    expect(await reader.read(100)).toEqual([]);
  });

  it("reads every run's events committed since it started, each once and each run's in order, with their run", async () => {
    const s = store();
    await s.runs.createRun({ id: 'OLD', workflow: 'deploy', created_at: now() }, [ev.created(now()), ev.started(now())]);
    const reader = await s.feed.follow();
    const t = now();
    await s.runs.createRun(...created('A', t, 'deploy', 'acme'));
    await s.runs.append('OLD', [ev.ready('a', now()), ev.start('a', 1, now())]);
    await s.runs.createRun(...created('B', t + 1, 'backup'));
    await s.runs.append('A', [ev.started(now())]);
    await s.runs.append('OLD', [ev.ok('a', 1, now()), ev.succeeded(now())]);
    const events = await readAll(reader, 7);
    expect(byRun(events)).toEqual({
      OLD: ['3:TaskReady', '4:TaskStarted', '5:TaskSucceeded', '6:RunSucceeded'],
      A: ['1:RunCreated', '2:RunStarted'],
      B: ['1:RunCreated'],
    });
    expect(events.find((e) => e.run_id === 'A' && e.event.seq === 1)).toMatchObject({ namespace: 'acme', workflow: 'deploy', created_at: t, event: { type: 'RunCreated', at: t } });
    expect(events.find((e) => e.run_id === 'B')).toMatchObject({ namespace: 'default', workflow: 'backup', created_at: t + 1 });
    expect(events.find((e) => e.event.type === 'TaskSucceeded')?.event).toMatchObject({ task: 'a', attempt: 1, seq: 5 });
    // Caught up: nothing more, until something more is committed.
    expect(await reader.read(100)).toEqual([]);
    await s.runs.append('A', [ev.failed(now())]);
    expect(shown(await readAll(reader, 1))).toEqual(['A#3:RunFailed']);
  });

  it('goes on where a read cut short by its limit stopped, never reading an event twice or skipping one', async () => {
    const s = store();
    const reader = await s.feed.follow();
    await s.runs.createRun({ id: 'R', workflow: 'deploy', created_at: now() }, [ev.created(now()), ev.started(now())]);
    await s.runs.createRun({ id: 'S', workflow: 'deploy', created_at: now() }, [ev.created(now())]);
    for (let i = 0; i < 10; i++) await s.runs.append('R', [ev.ready(`t${i}`, now()), ev.start(`t${i}`, 1, now()), ev.ok(`t${i}`, 1, now())]);
    await s.runs.append('S', [ev.cancelled('stop', now())]);
    const events = await readAll(reader, 34, 7);
    expect(byRun(events).R.map((e) => Number(e.split(':')[0]))).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(byRun(events).S).toEqual(['1:RunCreated', '2:RunCancelled']);
    expect(events).toHaveLength(34);
  });

  it('sees what another process sharing the store commits, a run started and ended between two reads too', async () => {
    const s = store();
    const other = await openSibling(s);
    try {
      const reader = await s.feed.follow();
      expect(await reader.read(10)).toEqual([]);
      await other.runs.createRun({ id: 'W', workflow: 'deploy', created_at: now() }, [ev.created(now()), ev.started(now())]);
      await s.runs.createRun({ id: 'H', workflow: 'deploy', created_at: now() }, [ev.created(now())]);
      await other.runs.append('W', [ev.failed(now())]);
      expect(byRun(await readAll(reader, 4))).toEqual({ W: ['1:RunCreated', '2:RunStarted', '3:RunFailed'], H: ['1:RunCreated'] });
    } finally {
      await other.close();
    }
  });

  it('reads of a run that ended before it started following and was retried since only what the retry recorded', async () => {
    const s = store();
    const long = now() - 3_600_000;
    await s.runs.createRun({ id: 'F', workflow: 'deploy', created_at: long }, [ev.created(long), ev.started(long + 1), ev.failed(long + 2)]);
    const reader = await s.feed.follow();
    expect(await reader.read(10)).toEqual([]);
    await s.runs.append('F', [ev.reopened([], now()), ev.succeeded(now())]);
    expect(shown(await readAll(reader, 2))).toEqual(['F#4:RunReopened', 'F#5:RunSucceeded']);
  });

  it('passes over the events of types not asked for', async () => {
    const s = store();
    const reader = await s.feed.follow();
    await s.runs.createRun({ id: 'R', workflow: 'deploy', created_at: now() }, [ev.created(now()), ev.started(now()), ev.ready('a', now()), ev.start('a', 1, now())]);
    const types = new Set(['RunCreated', 'TaskStarted', 'RunSucceeded']);
    expect(shown(await readAll(reader, 2, 1000, types))).toEqual(['R#1:RunCreated', 'R#4:TaskStarted']);
    // A full read is full: what is passed over does not count against the limit.
    const many: TimedEvent[] = [];
    for (let i = 0; i < 300; i++) many.push(ev.ready(`b${i}`, now()), ev.start(`b${i}`, 1, now()));
    await s.runs.append('R', many);
    let full: FeedEvent[] = [];
    for (const deadline = Date.now() + 20_000; full.length === 0 && Date.now() < deadline; ) full = await reader.read(3, types);
    expect(full.map((e) => e.event.type)).toEqual(['TaskStarted', 'TaskStarted', 'TaskStarted']);
    expect(await readAll(reader, 297, 1000, types)).toHaveLength(297);
    await s.runs.append('R', [ev.ok('a', 1, now()), ev.succeeded(now())]);
    expect(shown(await readAll(reader, 1, 1000, types))).toEqual(['R#606:RunSucceeded']);
  });
}
