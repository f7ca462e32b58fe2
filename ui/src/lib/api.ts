/**
 * The one way the UI calls the server: same origin, JSON, the login's token as
 * `Authorization: Bearer`. Every failure becomes an ApiError carrying the server's error
 * document (code, message, hint), which <ErrorBanner> shows as it is: nothing is swallowed.
 */
import { session, setSession } from './session.js';

export class ApiError extends Error {
  constructor(
    /** The server's stable code (src/observability/error-codes.ts), or NETWORK / BAD_ANSWER from here. */
    readonly code: string,
    message: string,
    /** The HTTP status; 0 when the server was not reached. */
    readonly status: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The namespace a caller allowed several picks (a `*` token, a server without tokens); none: the default. */
let namespace: string | undefined = sessionStorage.getItem('baton.namespace') ?? undefined;
export function pickNamespace(name: string | undefined): void {
  namespace = name || undefined;
  if (namespace) sessionStorage.setItem('baton.namespace', namespace);
  else sessionStorage.removeItem('baton.namespace');
}
export function pickedNamespace(): string | undefined {
  return namespace;
}

/** The headers every call sends: the token and the picked namespace. */
export function authHeaders(token = session().token): Record<string, string> {
  return {
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...(namespace ? { 'x-baton-namespace': namespace } : {}),
  };
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** A token to use instead of the session's (the login form checks one before keeping it). */
  token?: string;
}

export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method: options.method ?? 'GET',
      headers: { accept: 'application/json', ...authHeaders(options.token), ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError('NETWORK', `the server did not answer (${(err as Error).message}): is baton serve running?`, 0);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError('BAD_ANSWER', `${options.method ?? 'GET'} ${path} answered ${res.status} with something that is not JSON`, res.status);
  }
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string; hint?: string } }).error ?? {};
    const failure = new ApiError(error.code ?? `HTTP_${res.status}`, error.message ?? `${options.method ?? 'GET'} ${path} answered ${res.status}`, res.status, error.hint);
    // A token the server no longer takes (revoked, expired): the session is over; the shell shows the login.
    if (res.status === 401 && options.token === undefined) setSession({ ...session(), who: undefined });
    throw failure;
  }
  return body as T;
}

/** `?a=1&b=2` of the fields that are set; '' when none is. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
