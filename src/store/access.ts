/**
 * What access control keeps in the store (docs/access.md): API tokens (their hash, never
 * the token) and the audit trail, an append-only record of every state-changing action
 * and every refused attempt, whoever made it (the CLI, the API, MCP, a trigger). Memory and
 * SQLite implement it and pass one contract (contract-access.ts). The SQLite store refuses
 * to change or delete an audit row (the table's triggers), not only this interface.
 */
/** The roles a token may hold; what each allows is access/roles.ts's. */
export const ROLES = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface TokenRecord {
  /** The public part of the token (`baton_<id>_...`): names it in lists and the audit trail. */
  id: string;
  /** A label given at creation (`--name`), for people. */
  name?: string;
  roles: Role[];
  /** The namespace it acts in, or `*` (admin tokens only) for every namespace. */
  namespace: string;
  /** SHA-256 of the secret, hex (access/tokens.ts). */
  hash: string;
  created_at: number;
  /** Who made it (an actor as the audit trail names them). */
  created_by: string;
  expires_at?: number;
  revoked_at?: number;
  /** Last time a request used it; kept roughly (at most one write a minute per token). */
  last_used_at?: number;
}

/** Where an action came from. */
export type AuditOrigin = 'cli' | 'api' | 'mcp' | 'trigger' | 'schedule';

export type AuditOutcome = 'ok' | 'refused' | 'failed';

export interface AuditEntry {
  /** Increasing: later entries have larger ids. */
  id: number;
  at: number;
  /**
   * Who: `token:<id>` (with its name in detail.token_name), `user:<os user>` for the CLI on
   * a local store, `trigger:<type>:<source>` for a trigger, `anonymous` for a request without
   * a valid token, `local` for a server without tokens (loopback only).
   */
  actor: string;
  /** The actor's roles, comma-separated in storage; empty when unknown (a refused token). */
  roles: string[];
  namespace: string;
  origin: AuditOrigin;
  /**
   * What was done or tried, one of a fixed set: run.start, run.cancel, run.retry,
   * run.resume, approval.answer, event.emit, schedule.add, schedule.remove, schedule.pause,
   * schedule.resume, token.create, token.revoke, auth.failed, access.denied...
   */
  action: string;
  /** What it was done to: a run id, a workflow, a token id, a schedule id, an event name. */
  target?: string;
  outcome: AuditOutcome;
  /** The error code of a refusal or failure. */
  code?: string;
  /** The rest, small: a comment on an approval, a reason, the address a refusal came from. */
  detail?: Record<string, unknown>;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export interface AuditFilter {
  /** Only entries at or after this time (ms since epoch). */
  since?: number;
  actor?: string;
  namespace?: string;
  action?: string;
  /** Only entries older than this id (the last id of a page, for the next page). */
  before?: number;
  /** Most recent first; default 100. */
  limit?: number;
}

export interface AccessStore {
  /** STORE_TOKEN_EXISTS if the id is taken (a clash of 60 random bits: make another). */
  addToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  /** Tokens, newest first; only one namespace's when given (`*` tokens are listed under `*`). */
  listTokens(filter?: { namespace?: string }): Promise<TokenRecord[]>;
  /** Marks it revoked at `at` (an earlier revocation is kept); the record after, or undefined for an unknown id. */
  revokeToken(id: string, at: number): Promise<TokenRecord | undefined>;
  /** Whether any token was ever made, revoked and expired ones included: once one was, a server asks every request for one. */
  hasTokens(): Promise<boolean>;
  /** Records a use of the token (last_used_at). */
  touchToken(id: string, at: number): Promise<void>;
  /** Appends an entry to the audit trail; returns its id. */
  audit(entry: NewAuditEntry): Promise<number>;
  listAudit(filter?: AuditFilter): Promise<AuditEntry[]>;
}
