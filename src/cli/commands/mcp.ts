import path from 'node:path';
import type { StoreFlags } from '../store.js';

interface McpFlags extends StoreFlags {
  dir?: string;
}

/** `baton mcp`: serves the Model Context Protocol on stdin/stdout until the client closes it (src/mcp/). */
export default async function mcp(flags: McpFlags): Promise<number> {
  const { serve } = await import('../../mcp/server.js');
  const code = await serve({ cwd: path.resolve(flags.dir ?? process.cwd()), ...(flags.store === undefined ? {} : { store: flags.store }) });
  // The client is gone: a tool still waiting for a run has nobody to answer (the runs go on).
  setTimeout(() => process.exit(code), 1000).unref();
  return code;
}
