/** A store seen from one namespace follows only that namespace's runs (runs/scoped-store.ts). */
import { expect, it } from 'vitest';
import { createMemoryStore } from '../store/memory/memory-store.js';
import type { TimedEvent } from '../store/events.js';
import { scopedStore } from './scoped-store.js';

const created = (namespace: string): TimedEvent => ({ type: 'RunCreated', workflow: { name: 'w', tasks: [] }, inputs: {}, env: {}, namespace, at: 1 });

it("a store seen from one namespace follows only that namespace's runs, and fills each read with them", async () => {
  const store = createMemoryStore();
  const reader = await scopedStore(store, 'acme').feed.follow();
  for (let i = 0; i < 5; i++) {
    await store.runs.createRun({ id: `D${i}`, workflow: 'w', created_at: 1 }, [created('default'), { type: 'RunStarted', at: 2 }]);
    await store.runs.createRun({ id: `A${i}`, workflow: 'w', created_at: 1 }, [created('acme')]);
  }
  expect((await reader.read(3)).map((e) => e.run_id)).toEqual(['A0', 'A1', 'A2']);
  expect((await reader.read(10)).map((e) => e.run_id)).toEqual(['A3', 'A4']);
  expect(await reader.read(10)).toEqual([]);
});
