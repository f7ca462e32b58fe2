/** What the Workflows views read (GET /api/workflows?history=, GET /api/workflows/{name}; docs/server.md). */
import type { InputSpec } from './input-checks.js';

export interface RecentRun {
  run_id: string;
  status: string;
  created_at: string;
  duration_ms?: number;
}

export interface WorkflowItem {
  name: string;
  file: string;
  description?: string;
  inputs: Record<string, InputSpec>;
  trigger_types: string[];
  next_run_at?: string;
  last_runs?: RecentRun[];
}

export interface Diagnostic {
  severity: string;
  code: string;
  message: string;
  hint?: string;
  line: number;
  col: number;
  path?: string;
}

export interface Problem {
  file: string;
  message: string;
  diagnostics?: Diagnostic[];
}

export interface WorkflowList {
  workflows: WorkflowItem[];
  problems: Problem[];
}

export interface WorkflowDetail {
  name: string;
  file: string;
  description?: string;
  kind: 'file' | 'code';
  inputs: Record<string, InputSpec>;
  triggers: Array<{ type: string; fires_on: string; url?: string }>;
  schedules: Array<{ id: string; cron: string; timezone: string; paused: boolean; next?: string }>;
  source?: string;
  source_truncated?: boolean;
}
