/**
 * What every tool of one `baton mcp` server shares: where the project and its store are,
 * whether agents may answer approvals, and the background commands it started (so a run
 * that failed before it was recorded can still say why, when asked about later).
 */
import type { Launched } from '../runs/launch.js';
import { openProjectStore } from '../runs/project-store.js';
import type { Store } from '../store/store.js';
import type { SkillRoot } from '../skills/catalog.js';

export interface McpContext {
  /** The project's folder: every command runs here. */
  cwd: string;
  /** `--store` given to `baton mcp`, passed on to what it starts. */
  store?: string;
  /** `mcp.approvals` in baton.config.yaml: agents may answer approvals (answer_approval). */
  approvals: boolean;
  /** Commands started by this server, by the run they start or continue (the latest one). */
  launched: Map<string, Launched>;
  /**
   * The store of the `baton serve` this context serves MCP over HTTP for, seen from the
   * caller's namespace (runs/scoped-store.ts); closing it leaves it open. Absent: `baton mcp`
   * over stdio, which opens the project's store for each call.
   */
  shared?: Store;
  /** Where its skills are, when not the project's of `cwd` (a namespace of `baton serve`). */
  skillRoots?: () => SkillRoot[];
}

/** Opens the project's store for one call (another process may have created it since the last). */
export function openStore(ctx: McpContext, create = false): Promise<Store> {
  if (ctx.shared) return Promise.resolve(ctx.shared);
  return openProjectStore({ cwd: ctx.cwd, ...(ctx.store === undefined ? {} : { flag: ctx.store }), create });
}

/** Runs `fn` with the store open, and closes it. */
export async function withStore<T>(ctx: McpContext, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(ctx);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** `--store <location>` for a command this server starts, when one was given to it. */
export function storeArgs(ctx: McpContext): string[] {
  return ctx.store === undefined ? [] : ['--store', ctx.store];
}
