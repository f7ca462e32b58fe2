/**
 * The contract of the run feed (store/run-feed.ts): every run's events, store-wide, in the
 * order they were committed, from a position on; what `baton serve`'s metrics follow.
 */
import { expect, it } from 'vitest';
import { ev, T0, useStore, type MakeStore } from './contract-fixtures.js';
import type { TimedEvent } from './events.js';
import type { FeedEvent, FeedPosition } from './run-feed.js';
import type { Store } from './store.js';
import type { OpenSibling } from './contract-keys.js';

/**
 * What comes after `from`, read in pages of `page` until `count` events are in. On
 * PostgreSQL an event shows once every transaction older than its own is over, and tests of
 * other suites may hold one open on the same server for a moment: so the read is repeated
 * until they are in (or a generous deadline passes), never a sleep.
 */
async function readAll(store: Store, from: FeedPosition, count: number, page = 1000): Promise<{ events: FeedEvent[]; position: FeedPosition }> {
  const events: FeedEvent[] = [];
  let position = from;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const read = await store.feed.after(position, page);
    events.push(...read.events);
    position = read.position;
    if (read.events.length === page) continue;
    if (events.length >= count || Date.now() > deadline) return { events, position };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const shown = (events: FeedEvent[]) => events.map((e) => `${e.run_id}#${e.event.seq}:${e.event.type}`);

export function feedContract(makeStore: MakeStore, openSibling: OpenSibling): void {
  const store = useStore(makeStore);

  it('reads nothing from the end of an empty store, and a position it gave back', async () => {
    const s = store();
    const end = await s.feed.end();
    expect(await s.feed.after(end, 100)).toEqual({ events: [], position: end });
  });

  it("reads every run's events from a position on, in the order they were committed, with their run", async () => {
    const s = store();
    await s.runs.createRun({ id: 'OLD', workflow: 'deploy', created_at: T0 }, [ev.created(T0), ev.started(T0 + 1)]);
    const start = await s.feed.end();
    await s.runs.createRun({ id: 'A', workflow: 'deploy', created_at: T0 + 10 }, [{ ...ev.created(T0 + 10), namespace: 'acme' } as TimedEvent]);
    await s.runs.append('OLD', [ev.ready('a', T0 + 11), ev.start('a', 1, T0 + 12)]);
    await s.runs.createRun({ id: 'B', workflow: 'backup', created_at: T0 + 20 }, [ev.created(T0 + 20)]);
    await s.runs.append('A', [ev.started(T0 + 21)]);
    await s.runs.append('OLD', [ev.ok('a', 1, T0 + 22), ev.succeeded(T0 + 23)]);
    const { events } = await readAll(s, start, 7);
    expect(shown(events)).toEqual(['A#1:RunCreated', 'OLD#3:TaskReady', 'OLD#4:TaskStarted', 'B#1:RunCreated', 'A#2:RunStarted', 'OLD#5:TaskSucceeded', 'OLD#6:RunSucceeded']);
    expect(events[0]).toMatchObject({ run_id: 'A', namespace: 'acme', workflow: 'deploy', created_at: T0 + 10, event: { type: 'RunCreated', seq: 1, at: T0 + 10 } });
    expect(events[3]).toMatchObject({ run_id: 'B', namespace: 'default', workflow: 'backup', created_at: T0 + 20 });
    expect(events[5].event).toMatchObject({ type: 'TaskSucceeded', task: 'a', attempt: 1, seq: 5, at: T0 + 22 });
  });

  it('goes on from the position of each page, never reading an event twice or skipping one', async () => {
    const s = store();
    const start = await s.feed.end();
    await s.runs.createRun({ id: 'R', workflow: 'deploy', created_at: T0 }, [ev.created(T0), ev.started(T0)]);
    for (let i = 0; i < 10; i++) await s.runs.append('R', [ev.ready(`t${i}`, T0 + i), ev.start(`t${i}`, 1, T0 + i), ev.ok(`t${i}`, 1, T0 + i)]);
    const paged = await readAll(s, start, 32, 7);
    expect(paged.events.map((e) => e.event.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    // Nothing new: the last position reads nothing, and gives itself back.
    expect(await s.feed.after(paged.position, 7)).toEqual({ events: [], position: paged.position });
    await s.runs.append('R', [ev.succeeded(T0 + 100)]);
    expect(shown((await readAll(s, paged.position, 1, 7)).events)).toEqual(['R#33:RunSucceeded']);
  });

  it('sees what another process sharing the store commits', async () => {
    const s = store();
    const other = await openSibling(s);
    try {
      const start = await s.feed.end();
      await other.runs.createRun({ id: 'W', workflow: 'deploy', created_at: T0 }, [ev.created(T0), ev.started(T0 + 1)]);
      await s.runs.createRun({ id: 'H', workflow: 'deploy', created_at: T0 }, [ev.created(T0)]);
      await other.runs.append('W', [ev.failed(T0 + 2)]);
      expect(shown((await readAll(s, start, 4)).events)).toEqual(['W#1:RunCreated', 'W#2:RunStarted', 'H#1:RunCreated', 'W#3:RunFailed']);
    } finally {
      await other.close();
    }
  });

  it('starts after what was committed before end() was asked', async () => {
    const s = store();
    await s.runs.createRun({ id: 'R', workflow: 'deploy', created_at: T0 }, [ev.created(T0)]);
    const end = await s.feed.end();
    expect((await s.feed.after(end, 10)).events).toEqual([]);
    await s.runs.append('R', [ev.started(T0 + 1)]);
    expect(shown((await readAll(s, end, 1)).events)).toEqual(['R#2:RunStarted']);
  });

  it('refuses a position it never gave with STORE_FEED_POSITION', async () => {
    await expect(store().feed.after('not a position', 10)).rejects.toMatchObject({ code: 'STORE_FEED_POSITION' });
  });
}
