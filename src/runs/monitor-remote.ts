/**
 * `baton monitor --server URL`: the monitor's source (monitor-source.ts) over `baton
 * serve`'s API. The server makes the same documents with the same code (GET /api/overview
 * is overview.ts, a run is `baton status --json`, log pages are log-pages.ts), scoped to
 * the namespace of the token; a cancel it cannot ask of a live driver it carries out itself.
 */
import type { LogTextPage } from './log-pages.js';
import { LOG_PAGE_BYTES, type CancelAsked, type MonitorSource } from './monitor-source.js';
import type { Overview } from './overview.js';
import type { RemoteServer } from './remote-client.js';
import type { StatusJson } from './run-view.js';

export interface RemoteSourceOptions {
  /** Unfinished runs asked for, at most (the API's `active`); default the server's (50). */
  active?: number;
  /** Runs that ended asked for (the API's `recent`); default the server's (10). */
  recent?: number;
}

export class RemoteSource implements MonitorSource {
  readonly where: string;

  constructor(
    private readonly server: RemoteServer,
    private readonly options: RemoteSourceOptions = {},
  ) {
    this.where = `server ${server.url}`;
  }

  overview(): Promise<Overview> {
    return this.server.get<Overview>('/api/overview', { active: this.options.active, recent: this.options.recent });
  }

  run(runId: string): Promise<StatusJson> {
    return this.server.get<StatusJson>(`/api/runs/${encodeURIComponent(runId)}`);
  }

  logs(runId: string, query: { task?: string; offset?: string }): Promise<LogTextPage> {
    return this.server.get<LogTextPage>(`/api/runs/${encodeURIComponent(runId)}/logs`, { task: query.task, offset: query.offset, limit_bytes: LOG_PAGE_BYTES });
  }

  async cancel(runId: string, reason: string): Promise<CancelAsked> {
    const answer = await this.server.post<{ run_id: string; status: 'cancel_requested' | 'cancelling' }>(`/api/runs/${encodeURIComponent(runId)}/cancel`, { reason });
    return answer.status === 'cancel_requested' ? { how: 'requested' } : { how: 'cancelling' };
  }

  async close(): Promise<void> {}
}
