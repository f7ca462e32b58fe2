import type { AccessStore, AuditEntry, AuditFilter, NewAuditEntry, TokenRecord } from '../access.js';
import { StoreError } from '../errors.js';

/** The access store in memory (store/access.ts): records are copied in and out, as a database would. */
export class MemoryAccessStore implements AccessStore {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly entries: AuditEntry[] = [];

  async addToken(token: TokenRecord): Promise<void> {
    if (this.tokens.has(token.id)) throw new StoreError('STORE_TOKEN_EXISTS', `a token with id ${token.id} exists: make another`);
    this.tokens.set(token.id, structuredClone(token));
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const token = this.tokens.get(id);
    return token && structuredClone(token);
  }

  async listTokens(filter: { namespace?: string } = {}): Promise<TokenRecord[]> {
    return [...this.tokens.values()]
      .filter((t) => filter.namespace === undefined || t.namespace === filter.namespace)
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : -1))
      .map((t) => structuredClone(t));
  }

  async revokeToken(id: string, at: number): Promise<TokenRecord | undefined> {
    const token = this.tokens.get(id);
    if (token === undefined) return undefined;
    token.revoked_at ??= at;
    return structuredClone(token);
  }

  async hasTokens(): Promise<boolean> {
    return this.tokens.size > 0;
  }

  async touchToken(id: string, at: number): Promise<void> {
    const token = this.tokens.get(id);
    if (token) token.last_used_at = at;
  }

  async audit(entry: NewAuditEntry): Promise<number> {
    const id = this.entries.length + 1;
    this.entries.push({ ...structuredClone(entry), id });
    return id;
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    const limit = Math.max(0, filter.limit ?? 100);
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.entries[i];
      if (filter.before !== undefined && e.id >= filter.before) continue;
      if (filter.since !== undefined && e.at < filter.since) continue;
      if (filter.actor !== undefined && e.actor !== filter.actor) continue;
      if (filter.namespace !== undefined && e.namespace !== filter.namespace) continue;
      if (filter.action !== undefined && e.action !== filter.action) continue;
      out.push(structuredClone(e));
    }
    return out;
  }
}
