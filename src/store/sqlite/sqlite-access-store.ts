/**
 * The access store on SQLite (store/access.ts), on the connection of the run store. The
 * audit table refuses UPDATE and DELETE itself (migrations/007_access.sql), so no code
 * path, this one's or a tool's, can rewrite the trail.
 */
import type { AccessStore, AuditEntry, AuditFilter, NewAuditEntry, TokenRecord } from '../access.js';
import { toAuditEntry, toToken, type AuditRow, type TokenRow } from '../rows/access.js';
import { StoreError } from '../errors.js';
import queries from './access.sql';
import type { Database } from './driver.js';
import { sqliteError } from './sqlite-errors.js';
import { parseNamedQueries } from '../named-queries.js';
import { preparedOnUse, type Statement } from './statements.js';

const sql = parseNamedQueries(queries);

export class SqliteAccessStore implements AccessStore {
  /** Prepared at first use: most commands that open a store never look at tokens. */
  private readonly prepared: () => Record<string, Statement>;

  constructor(
    db: Database,
    private readonly file: string,
  ) {
    this.prepared = preparedOnUse(db, sql);
  }

  private get q(): Record<string, Statement> {
    return this.prepared();
  }

  async addToken(token: TokenRecord): Promise<void> {
    this.guard(() => {
      // The primary key decides, not a look first: another process may add the same id between the two.
      try {
        this.q.insertToken.run({
          id: token.id,
          name: token.name ?? null,
          roles: token.roles.join(','),
          namespace: token.namespace,
          hash: token.hash,
          created_at: token.created_at,
          created_by: token.created_by,
          expires_at: token.expires_at ?? null,
          revoked_at: token.revoked_at ?? null,
          last_used_at: token.last_used_at ?? null,
        });
      } catch (err) {
        if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new StoreError('STORE_TOKEN_EXISTS', `a token with id ${token.id} exists in ${this.file}: make another`, { cause: err, details: { token: token.id } });
        }
        throw err;
      }
    });
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const row = this.guard(() => this.q.getToken.get(id)) as TokenRow | undefined;
    return row && toToken(row);
  }

  async listTokens(filter: { namespace?: string } = {}): Promise<TokenRecord[]> {
    return (this.guard(() => this.q.listTokens.all({ namespace: filter.namespace ?? null })) as TokenRow[]).map(toToken);
  }

  async revokeToken(id: string, at: number): Promise<TokenRecord | undefined> {
    this.guard(() => this.q.revokeToken.run(at, id));
    return this.getToken(id);
  }

  async hasTokens(): Promise<boolean> {
    return (this.guard(() => this.q.anyToken.get()) as { any: number }).any === 1;
  }

  async touchToken(id: string, at: number): Promise<void> {
    this.guard(() => this.q.touchToken.run(at, id));
  }

  async audit(entry: NewAuditEntry): Promise<number> {
    const info = this.guard(() =>
      this.q.insertAudit.run({
        at: entry.at,
        actor: entry.actor,
        roles: entry.roles.join(','),
        namespace: entry.namespace,
        origin: entry.origin,
        action: entry.action,
        target: entry.target ?? null,
        outcome: entry.outcome,
        code: entry.code ?? null,
        detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
      }),
    );
    return Number(info.lastInsertRowid);
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const statement =
      filter.actor !== undefined ? this.q.listAuditByActor
      : filter.namespace !== undefined ? this.q.listAuditByNamespace
      : filter.action !== undefined ? this.q.listAuditByAction
      : filter.since !== undefined ? this.q.listAuditSince
      : this.q.listAudit;
    const rows = this.guard(() =>
      statement.all({
        since: filter.since ?? null,
        actor: filter.actor ?? null,
        namespace: filter.namespace ?? null,
        action: filter.action ?? null,
        before: filter.before ?? null,
        limit: Math.max(0, filter.limit ?? 100),
      }),
    ) as AuditRow[];
    return rows.map(toAuditEntry);
  }

  /** SQLite's errors as the store's (STORE_BUSY, STORE_DISK_FULL...). */
  private guard<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw sqliteError(err, this.file);
    }
  }
}
