/**
 * The access store on PostgreSQL (store/access.ts). The audit table refuses UPDATE, DELETE
 * and TRUNCATE itself (migrations/004_access.sql), so no code path, this one's or a tool's
 * on the same database, can rewrite the trail.
 */
import type { AccessStore, AuditEntry, AuditFilter, NewAuditEntry, TokenRecord } from '../access.js';
import { toAuditEntry, toToken, type AuditRow, type TokenRow } from '../rows/access.js';
import { StoreError } from '../errors.js';
import { parseNamedQueries } from '../named-queries.js';
import queries from './access.sql';
import type { PgDatabase } from './driver.js';

type Name = 'insertToken' | 'getToken' | 'listTokens' | 'revokeToken' | 'anyToken' | 'touchToken' | 'insertAudit' | 'listAudit';
const q = Object.fromEntries(parseNamedQueries(queries)) as Record<Name, string>;

export class PgAccessStore implements AccessStore {
  constructor(private readonly db: PgDatabase) {}

  async addToken(token: TokenRecord): Promise<void> {
    const added = await this.db.query(q.insertToken, [
      token.id,
      token.name ?? null,
      token.roles.join(','),
      token.namespace,
      token.hash,
      token.created_at,
      token.created_by,
      token.expires_at ?? null,
      token.revoked_at ?? null,
      token.last_used_at ?? null,
    ]);
    if (added.length === 0) {
      throw new StoreError('STORE_TOKEN_EXISTS', `a token with id ${token.id} exists in ${this.db.location}: make another`, { details: { token: token.id } });
    }
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query<TokenRow>(q.getToken, [id]);
    return row && toToken(row);
  }

  async listTokens(filter: { namespace?: string } = {}): Promise<TokenRecord[]> {
    return (await this.db.query<TokenRow>(q.listTokens, [filter.namespace ?? null])).map(toToken);
  }

  async revokeToken(id: string, at: number): Promise<TokenRecord | undefined> {
    const [row] = await this.db.query<TokenRow>(q.revokeToken, [id, at]);
    return row && toToken(row);
  }

  async hasTokens(): Promise<boolean> {
    const [row] = await this.db.query<{ any: boolean }>(q.anyToken);
    return row.any;
  }

  async touchToken(id: string, at: number): Promise<void> {
    await this.db.query(q.touchToken, [id, at]);
  }

  async audit(entry: NewAuditEntry): Promise<number> {
    const [row] = await this.db.query<{ id: number }>(q.insertAudit, [
      entry.at,
      entry.actor,
      entry.roles.join(','),
      entry.namespace,
      entry.origin,
      entry.action,
      entry.target ?? null,
      entry.outcome,
      entry.code ?? null,
      entry.detail === undefined ? null : JSON.stringify(entry.detail),
    ]);
    return row.id;
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const rows = await this.db.query<AuditRow>(q.listAudit, [
      filter.since ?? null,
      filter.actor ?? null,
      filter.namespace ?? null,
      filter.action ?? null,
      filter.before ?? null,
      Math.max(0, filter.limit ?? 100),
    ]);
    return rows.map(toAuditEntry);
  }
}
