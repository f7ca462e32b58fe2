/**
 * `baton mcp`: the Model Context Protocol over stdio, for AI agents, with the official
 * TypeScript SDK (v2's server package, loaded only here: no other command pays for it). A
 * small tool surface split by what it may change (tools-read.ts looks, tools-act.ts acts),
 * and the docs an agent needs as resources. Standard output is the protocol's: nothing
 * else may write there, which is why runs go on in processes of their own.
 */
import { loadProject, resolveStoreLocation } from '../config/project.js';
import { BatonError } from '../observability/errors.js';
import { VERSION } from '../config/version.js';
import type { McpContext } from './context.js';
import { docResources, readDoc } from './resources.js';
import { actTools } from './tools-act.js';
import { readTools } from './tools-read.js';
import { call, type CallContext, type ToolDefinition } from './tools.js';

export interface ServeOptions {
  /** The project's folder; default the current folder. */
  cwd?: string;
  /** `--store`, passed on to every command started. */
  store?: string;
}

const INSTRUCTIONS = [
  'baton is a durable workflow engine: a workflow (YAML, a TypeScript file, or a script) runs as a recorded run whose every event, log line and output is kept.',
  'Find reusable pieces with search_skills and show_skill; write a workflow or script, check it with validate_workflow, run it with start_run (a file, inline text, or a skill).',
  'Answers are bounded: start_run waits at most wait_seconds and returns the run id, status and summary; get_run and get_logs (paged) read a run later.',
  'A failed run keeps what succeeded: read why with get_logs, fix it, then retry_run. Approvals are for people unless the project allows agents to answer them.',
  'The docs (workflow format, expressions, TypeScript workflows, skills) are resources: baton://docs/...',
].join(' ');

/** Serves until the client closes standard input. Resolves with the exit code. */
export async function serve(options: ServeOptions = {}): Promise<number> {
  const [{ McpServer }, { serveStdio }] = await Promise.all([import('@modelcontextprotocol/server'), import('@modelcontextprotocol/server/stdio')]);
  const cwd = options.cwd ?? process.cwd();
  // Read once: the tools an agent sees do not change while it is connected.
  const project = loadProject({ cwd });
  if (resolveStoreLocation(project, { cwd, flag: options.store }).location === 'memory') {
    throw new BatonError('MCP_MEMORY_STORE', 'baton mcp starts each run in a process of its own, and a memory store lives in one process: keep runs in a SQLite file (no --store memory, no BATON_STORE=memory)');
  }
  const ctx: McpContext = { cwd, approvals: project.config.mcp?.approvals === true, launched: new Map(), ...(options.store === undefined ? {} : { store: options.store }) };
  const tools: ToolDefinition[] = [...readTools(ctx), ...actTools(ctx)];
  const docs = docResources();
  const closed = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  const handle = serveStdio(
    () => buildServer(McpServer, tools, docs),
    { onerror: (error: Error) => process.stderr.write(`baton mcp: ${error.message}\n`) },
  );
  await closed;
  await handle.close().catch(() => {});
  return 0;
}

/** An McpServer with baton's tools and docs registered (one per connection, or per HTTP request). */
export function buildServer(Server: typeof import('@modelcontextprotocol/server').McpServer, tools: readonly ToolDefinition[], docs: ReturnType<typeof docResources> = docResources()) {
  const server = new Server({ name: 'baton', version: VERSION }, { capabilities: { tools: {}, resources: {} }, instructions: INSTRUCTIONS });
  for (const tool of tools) {
    server.registerTool(tool.name, { description: tool.description, inputSchema: tool.inputSchema, annotations: tool.annotations }, (args: unknown, context: unknown) => call(tool, args, context as CallContext));
  }
  for (const doc of docs) {
    server.registerResource(doc.name, doc.uri, { title: doc.title, description: doc.description, mimeType: 'text/markdown' }, async (uri: URL) => ({
      contents: [{ uri: uri.href, mimeType: 'text/markdown', text: readDoc(doc) }],
    }));
  }
  return server;
}
