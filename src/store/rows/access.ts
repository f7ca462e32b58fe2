/** Rows of the tokens and audit tables as their records, for the SQL stores (SQLite, PostgreSQL). */
import type { AuditEntry, Role, TokenRecord } from '../access.js';

export interface TokenRow {
  id: string;
  name: string | null;
  /** Comma-separated. */
  roles: string;
  namespace: string;
  hash: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export function toToken(row: TokenRow): TokenRecord {
  const token: TokenRecord = { id: row.id, roles: row.roles.split(',').filter(Boolean) as Role[], namespace: row.namespace, hash: row.hash, created_at: row.created_at, created_by: row.created_by };
  if (row.name !== null) token.name = row.name;
  if (row.expires_at !== null) token.expires_at = row.expires_at;
  if (row.revoked_at !== null) token.revoked_at = row.revoked_at;
  if (row.last_used_at !== null) token.last_used_at = row.last_used_at;
  return token;
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  /** Comma-separated. */
  roles: string;
  namespace: string;
  origin: AuditEntry['origin'];
  action: string;
  target: string | null;
  outcome: AuditEntry['outcome'];
  code: string | null;
  /** JSON text. */
  detail: string | null;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  const entry: AuditEntry = { id: row.id, at: row.at, actor: row.actor, roles: row.roles.split(',').filter(Boolean), namespace: row.namespace, origin: row.origin, action: row.action, outcome: row.outcome };
  if (row.target !== null) entry.target = row.target;
  if (row.code !== null) entry.code = row.code;
  if (row.detail !== null) entry.detail = JSON.parse(row.detail) as Record<string, unknown>;
  return entry;
}
