/**
 * A store seen from one namespace (docs/access.md#namespaces): run ids resolve only among
 * its runs, lists hold only its runs, and another namespace's run is not there at all. For
 * code written against a whole store (the MCP tools) serving one namespace's caller, so
 * that no path through it can reach another namespace. Closing it leaves the store open:
 * it is borrowed.
 */
import type { RunRecord, RunStore, Store } from '../store/store.js';
import { runNotFound } from '../store/errors.js';
import type { FeedEvent, RunFeed } from '../store/run-feed.js';

export function scopedStore(store: Store, namespace: string): Store {
  const runs = store.runs;
  const mine = async (runId: string): Promise<RunRecord | undefined> => {
    const record = await runs.getRun(runId);
    return record?.namespace === namespace ? record : undefined;
  };
  const checked = async (runId: string): Promise<void> => {
    if ((await mine(runId)) === undefined) throw runNotFound(runId);
  };
  const scoped: RunStore = {
    createRun: (run, events, admit) => runs.createRun(run, events, admit),
    decideQueue: (decide) => runs.decideQueue(decide),
    append: async (runId, events, options) => (await checked(runId), runs.append(runId, events, options)),
    readEvents: async (runId, afterSeq) => (await checked(runId), runs.readEvents(runId, afterSeq)),
    waitForEvents: async (runId, afterSeq, options) => (await checked(runId), runs.waitForEvents(runId, afterSeq, options)),
    getRun: mine,
    listRuns: (filter = {}) => runs.listRuns({ ...filter, namespace }),
    countRuns: (query = {}) => runs.countRuns({ ...query, namespace }),
    listEnded: (query = {}) => runs.listEnded({ ...query, namespace }),
    listTasks: async (runId) => (await checked(runId), runs.listTasks(runId)),
    // Only this namespace's runs, whatever namespace the caller names.
    runStats: (filter) => runs.runStats({ ...filter, namespace }),
    resolveRunId: (prefix) => runs.resolveRunId(prefix, namespace),
    claimRun: async (runId, owner, at, isGone) => (await checked(runId), runs.claimRun(runId, owner, at, isGone)),
    heartbeat: (runId, owner, at) => runs.heartbeat(runId, owner, at),
    // Only this namespace's runs, whatever else the caller asks for.
    claimNextRun: async (owner, at, options) =>
      options.namespaces === undefined || options.namespaces.includes(namespace) ? runs.claimNextRun(owner, at, { ...options, namespaces: [namespace] }) : undefined,
    releaseRun: (runId, owner) => runs.releaseRun(runId, owner),
    requestCancel: async (runId, reason) => (await checked(runId), runs.requestCancel(runId, reason)),
    rebuildProjection: (runId) => runs.rebuildProjection(runId),
    close: async () => {},
  };
  return { ...store, location: store.location, runs: scoped, feed: scopedFeed(store.feed, namespace), close: async () => {} };
}

/** The run feed of one namespace's runs: a read fills up with theirs, passing over the others'. */
function scopedFeed(feed: RunFeed, namespace: string): RunFeed {
  return {
    follow: async () => {
      const reader = await feed.follow();
      return {
        read: async (limit, types) => {
          const out: FeedEvent[] = [];
          for (;;) {
            const want = limit - out.length;
            const read = await reader.read(want, types);
            for (const event of read) if (event.namespace === namespace) out.push(event);
            // Short: the store has no more now.
            if (read.length < want || out.length >= limit) return out;
          }
        },
      };
    },
  };
}
