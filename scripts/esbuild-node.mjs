// What every esbuild bundle of baton shares (the CLI, the benchmarks): ES modules for
// Node 20, packages with native code or their own binaries left in node_modules, SQL
// bundled as text, and a `require` for the CommonJS code bundled into ES modules.
export const nodeBundle = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The MCP SDK and the HTTP server (Hono) are big and only `baton mcp` and `baton serve` need
  // them: they load from node_modules then.
  // The broker clients load only when a workflow publishes or a server subscribes; nodemailer
  // only when an email channel sends.
  // prom-client only when `baton serve` serves /metrics; OpenTelemetry only when tracing is on.
  external: ['tsx', 'esbuild', 'better-sqlite3', 'pg', 'nodemailer', '@nats-io/transport-node', '@nats-io/jetstream', 'amqplib', 'mqtt', '@modelcontextprotocol/server', '@modelcontextprotocol/client', 'hono', '@hono/node-server', '@hono/zod-openapi', 'prom-client', '@opentelemetry/*'],
  // SQL (migrations, queries) is kept in .sql files and bundled as text.
  loader: { '.sql': 'text' },
  banner: { js: "import { createRequire as __batonRequire } from 'node:module'; const require = __batonRequire(import.meta.url);" },
  logLevel: 'warning',
};
