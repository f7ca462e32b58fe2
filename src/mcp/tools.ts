/**
 * baton's tools: what each is, and how a call becomes an answer. A tool's handler throws
 * baton's errors; the wrapper turns them into tool errors (answers.ts), so every failure
 * reaches the agent with its code and the next step, never as a protocol error.
 */
import type { z } from 'zod';
import { failure, type ToolAnswer } from './answers.js';

/** The part of the SDK's request context a handler uses. */
export interface CallContext {
  mcpReq: {
    signal: AbortSignal;
    _meta?: { progressToken?: string | number } & Record<string, unknown>;
    notify: (notification: { method: string; params?: Record<string, unknown> }) => Promise<void>;
  };
}

export interface ToolDefinition {
  name: string;
  /** For the model: what it does, what it returns, its limits, what to call next. */
  description: string;
  inputSchema: z.ZodObject;
  annotations: { readOnlyHint?: boolean; destructiveHint?: boolean; idempotentHint?: boolean; openWorldHint?: boolean };
  // The arguments are checked against inputSchema before the handler runs.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  handler: (args: any, call: CallContext) => Promise<ToolAnswer>;
}

/** Runs a tool's handler; a thrown error becomes a tool error. */
export async function call(tool: ToolDefinition, args: unknown, context: CallContext): Promise<ToolAnswer> {
  try {
    return await tool.handler(args ?? {}, context);
  } catch (err) {
    return failure(err);
  }
}

/**
 * Progress notices while a tool waits, when the client asked for them (a progressToken):
 * they also keep clients that reset their request timeout on progress from giving up.
 */
export function progress(context: CallContext, totalSeconds: number): ((waitedMs: number) => void) | undefined {
  const token = context.mcpReq._meta?.progressToken;
  if (token === undefined) return undefined;
  return (waitedMs) => {
    const seconds = Math.round(waitedMs / 1000);
    context.mcpReq
      .notify({ method: 'notifications/progress', params: { progressToken: token, progress: seconds, total: totalSeconds, message: `waited ${seconds} s of ${totalSeconds}` } })
      .catch(() => {});
  };
}
