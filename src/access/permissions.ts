/**
 * The one table of what every entry point of `baton serve` needs (docs/access.md): every
 * route of the API, every server-sent event stream, every MCP tool and every webhook. A
 * request that matches no row is refused (server/auth.ts), so a route added without a row
 * here cannot be reached; a test walks every row with every role.
 *
 * `need`: the permission (roles.ts) a token must grant; `public` needs no token (liveness,
 * the API's own description); `signed` is proven by the webhook's own signature, not a
 * token. `action`: the audit trail's name for what a state-changing entry does; every such
 * request is recorded, refused ones included.
 */
import type { Permission } from './roles.js';

export type Need = Permission | 'public' | 'signed';

export interface RouteRule {
  method: 'GET' | 'POST' | 'DELETE';
  /** The route's path as the API declares it (`{id}` a parameter, `*` the rest of the path). */
  path: string;
  need: Need;
  action?: string;
}

export interface ToolRule {
  tool: string;
  need: Permission;
  action?: string;
}

/** Where `baton serve` answers Prometheus (server/api-metrics.ts). */
export const METRICS_PATH = '/metrics';

export const ROUTE_RULES: readonly RouteRule[] = [
  { method: 'GET', path: '/healthz', need: 'public' },
  { method: 'GET', path: '/readyz', need: 'public' },
  { method: 'GET', path: '/api/openapi.json', need: 'public' },
  { method: 'GET', path: '/api/whoami', need: 'read' },

  { method: 'GET', path: '/api/workflows', need: 'read' },
  { method: 'GET', path: '/api/workflows/{name}', need: 'read' },
  { method: 'POST', path: '/api/validate', need: 'read' },
  { method: 'GET', path: '/api/skills', need: 'read' },
  { method: 'POST', path: '/api/workflows/{name}/runs', need: 'operate', action: 'run.start' },

  { method: 'GET', path: '/api/runs', need: 'read' },
  { method: 'GET', path: '/api/runs/{id}', need: 'read' },
  { method: 'GET', path: '/api/runs/{id}/tasks', need: 'read' },
  { method: 'GET', path: '/api/runs/{id}/logs', need: 'read' },
  { method: 'GET', path: '/api/runs/{id}/events', need: 'read' },
  { method: 'GET', path: '/api/overview', need: 'read' },
  { method: 'POST', path: '/api/runs/{id}/cancel', need: 'operate', action: 'run.cancel' },
  { method: 'POST', path: '/api/runs/{id}/retry', need: 'operate', action: 'run.retry' },
  { method: 'POST', path: '/api/runs/{id}/resume', need: 'operate', action: 'run.resume' },
  { method: 'POST', path: '/api/events/{name}', need: 'operate', action: 'event.emit' },

  { method: 'GET', path: '/api/approvals', need: 'read' },
  { method: 'POST', path: '/api/runs/{id}/approvals', need: 'approve', action: 'approval.answer' },
  { method: 'POST', path: '/api/runs/{id}/approvals/{task}', need: 'approve', action: 'approval.answer' },
  { method: 'POST', path: '/api/runs/{id}/pauses', need: 'operate', action: 'task.resolve' },
  { method: 'POST', path: '/api/runs/{id}/pauses/{task}', need: 'operate', action: 'task.resolve' },

  { method: 'GET', path: '/api/triggers', need: 'read' },
  { method: 'GET', path: '/api/firings', need: 'read' },
  { method: 'GET', path: '/api/schedules', need: 'read' },
  { method: 'POST', path: '/api/schedules', need: 'admin', action: 'schedule.add' },
  { method: 'DELETE', path: '/api/schedules/{id}', need: 'admin', action: 'schedule.remove' },
  // Pausing a schedule is an operator's call (an incident, a freeze); adding or removing one is an admin's.
  { method: 'POST', path: '/api/schedules/{id}/pause', need: 'operate', action: 'schedule.pause' },
  { method: 'POST', path: '/api/schedules/{id}/resume', need: 'operate', action: 'schedule.resume' },

  { method: 'GET', path: '/api/circuits', need: 'read' },
  { method: 'GET', path: '/api/metrics', need: 'read' },
  { method: 'GET', path: '/api/metrics/series', need: 'read' },
  { method: 'GET', path: '/api/notifications', need: 'read' },
  { method: 'POST', path: '/api/circuits/{name}/reset', need: 'operate', action: 'circuit.reset' },

  // Prometheus' scrapes (server/api-metrics.ts): public when baton.config.yaml says server.metrics.auth: false.
  { method: 'GET', path: METRICS_PATH, need: 'read' },

  { method: 'GET', path: '/api/tokens', need: 'admin' },
  { method: 'POST', path: '/api/tokens', need: 'admin', action: 'token.create' },
  { method: 'POST', path: '/api/tokens/{id}/revoke', need: 'admin', action: 'token.revoke' },
  { method: 'GET', path: '/api/audit', need: 'admin' },

  // MCP over Streamable HTTP: reaching the endpoint needs a token that reads; each tool
  // call is then checked against TOOL_RULES.
  { method: 'POST', path: '/mcp', need: 'read' },
  { method: 'GET', path: '/mcp', need: 'read' },
  { method: 'DELETE', path: '/mcp', need: 'read' },

  // Webhooks: the default namespace's at /hooks/<path>, another's at /ns/<namespace>/hooks/<path>.
  { method: 'POST', path: '/hooks/*', need: 'signed', action: 'webhook' },
  { method: 'POST', path: '/ns/{namespace}/hooks/*', need: 'signed', action: 'webhook' },
];

export const TOOL_RULES: readonly ToolRule[] = [
  { tool: 'search_skills', need: 'read' },
  { tool: 'show_skill', need: 'read' },
  { tool: 'list_workflows', need: 'read' },
  { tool: 'validate_workflow', need: 'read' },
  { tool: 'list_runs', need: 'read' },
  { tool: 'get_run', need: 'read' },
  { tool: 'get_logs', need: 'read' },
  { tool: 'metrics', need: 'read' },
  { tool: 'start_run', need: 'operate', action: 'run.start' },
  { tool: 'resume_run', need: 'operate', action: 'run.resume' },
  { tool: 'retry_run', need: 'operate', action: 'run.retry' },
  { tool: 'cancel_run', need: 'operate', action: 'run.cancel' },
  { tool: 'emit_event', need: 'operate', action: 'event.emit' },
  { tool: 'answer_approval', need: 'approve', action: 'approval.answer' },
  { tool: 'resolve_task', need: 'operate', action: 'task.resolve' },
];

const compiled = ROUTE_RULES.map((rule) => ({
  rule,
  pattern: new RegExp(`^${rule.path.replace(/[.+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]+\}/g, '[^/]+').replace(/\*$/, '.+')}$`),
}));

/** The row of a request, or undefined: then it is refused. */
export function ruleFor(method: string, path: string): RouteRule | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return compiled.find(({ rule, pattern }) => rule.method === m && pattern.test(path))?.rule;
}

export function toolRule(tool: string): ToolRule | undefined {
  return TOOL_RULES.find((rule) => rule.tool === tool);
}
