/**
 * Who the UI talks to the server as: the token given at /login (kept in sessionStorage,
 * or localStorage when "remember" was ticked) and what /api/whoami said of it. A server
 * with no tokens needs none: whoami answers without one and the UI never asks.
 * Views read it with useSession(); a change re-renders them.
 */
import { useEffect, useState } from 'preact/hooks';

export type Role = 'viewer' | 'operator' | 'approver' | 'admin';

export interface Whoami {
  actor: string;
  roles: Role[];
  namespace: string;
  /** The token's namespace, `*` for one that may pick any. */
  scope: string;
  token?: { id: string; name?: string };
  /** For a caller of scope `*`: the namespaces the server serves, one picked per request (X-Baton-Namespace). */
  namespaces?: string[];
}

export interface Session {
  token?: string;
  who?: Whoami;
}

const KEY = 'baton.token';
let current: Session = { token: sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY) ?? undefined };
const listeners = new Set<() => void>();

export function session(): Session {
  return current;
}

export function setSession(next: Session, remember?: boolean): void {
  current = next;
  if (remember !== undefined) {
    sessionStorage.removeItem(KEY);
    localStorage.removeItem(KEY);
    if (next.token !== undefined) (remember ? localStorage : sessionStorage).setItem(KEY, next.token);
  }
  for (const listener of listeners) listener();
}

/** Forgets the token everywhere it was kept. */
export function logout(): void {
  setSession({}, false);
  localStorage.removeItem(KEY);
}

export function useSession(): Session {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((n) => n + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return current;
}

/**
 * What each role may do (docs/access.md): viewer reads; operator also starts, cancels,
 * retries, resumes and emits; approver reads and answers approvals; admin does all.
 */
export type Permission = 'read' | 'operate' | 'approve' | 'admin';
const GRANTS: Record<Role, Permission[]> = {
  viewer: ['read'],
  operator: ['read', 'operate'],
  approver: ['read', 'approve'],
  admin: ['read', 'operate', 'approve', 'admin'],
};

/** Whether the logged-in caller may do `what`: the UI hides what it may not. */
export function can(what: Permission, who: Whoami | undefined = current.who): boolean {
  return who !== undefined && who.roles.some((role) => GRANTS[role]?.includes(what));
}
