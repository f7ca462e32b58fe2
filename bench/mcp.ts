/**
 * `baton mcp` (issue 9): start-up to its first answered request (initialize, then
 * tools/list, through the MCP SDK's own client over stdio), and start_run of a 10-step
 * workflow from request to answer, against the same run with `baton run` in a shell.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

export interface McpFigures {
  /** Median ms from starting `baton mcp` to the answer of tools/list. */
  startupMs: number;
  /** Median ms of start_run of a 10-step workflow, request to answer (the run ended). */
  startRunMs: number;
  /** Median ms of `baton run` of the same workflow, process start to exit. */
  cliRunMs: number;
}

const TEN_STEPS = `name: ten-steps\ntasks:\n${Array.from({ length: 10 }, (_, i) => `  - id: s${i}\n    type: shell\n    command: "true"${i > 0 ? `\n    depends_on: [s${i - 1}]` : ''}`).join('\n')}\n`;

export async function mcpFigures(bin: string, rounds: number): Promise<McpFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-mcp-'));
  writeFileSync(path.join(dir, 'flow.yaml'), TEN_STEPS);
  const env = { ...(process.env as Record<string, string>), BATON_HOME: path.join(dir, '.baton') };
  const connect = async () => {
    const client = new Client({ name: 'baton-bench', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [bin, 'mcp'], cwd: dir, env, stderr: 'ignore' }));
    return client;
  };

  const startups: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const start = performance.now();
    const client = await connect();
    await client.listTools();
    const ms = performance.now() - start;
    await client.close();
    if (i > 0) startups.push(ms); // the first warms the file cache
  }

  const client = await connect();
  const runs: number[] = [];
  try {
    for (let i = 0; i <= rounds; i++) {
      const start = performance.now();
      const result = (await client.callTool({ name: 'start_run', arguments: { file: 'flow.yaml', wait_seconds: 120 } })) as { content: Array<{ text: string }> };
      const ms = performance.now() - start;
      const status = (JSON.parse(result.content[0].text) as { status?: string }).status;
      if (status !== 'succeeded') throw new Error(`start_run answered ${result.content[0].text.slice(0, 300)}`);
      if (i > 0) runs.push(ms);
    }
  } finally {
    await client.close();
  }

  const cli: number[] = [];
  for (let i = 0; i <= rounds; i++) {
    const start = performance.now();
    const result = spawnSync(process.execPath, [bin, 'run', 'flow.yaml', '--json'], { cwd: dir, env, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`baton run exited ${result.status}`);
    if (i > 0) cli.push(performance.now() - start);
  }
  return { startupMs: median(startups), startRunMs: median(runs), cliRunMs: median(cli) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
