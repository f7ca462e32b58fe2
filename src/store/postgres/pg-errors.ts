/**
 * PostgreSQL's errors as StoreErrors that say which server and what to do. A failed
 * statement rolls its transaction back whole: none of these means something recorded was lost.
 */
import { StoreError } from '../errors.js';

/** The URL with its password hidden, for messages and details. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]*):[^@/]*@/, '$1:***@');
}

/** Any error from the driver or the server as a StoreError; StoreErrors pass through. */
export function pgError(err: unknown, location: string): unknown {
  if (err instanceof StoreError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const details = { location, code: typeof code === 'string' ? code : undefined };
  if (typeof code !== 'string') {
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) {
      return unavailable(location, message, err);
    }
    return err;
  }
  if (['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE'].includes(code) || (code.startsWith('08') && code !== '08P01') || code === '57P01' || code === '57P02' || code === '57P03') {
    return unavailable(location, message, err);
  }
  if (code === '3D000') {
    return new StoreError('STORE_NOT_FOUND', `PostgreSQL at ${location} has no such database (${message}): create it (\`createdb NAME\`) or fix the URL`, { cause: err, details });
  }
  if (code === '28P01' || code === '28000') {
    return new StoreError('STORE_CANT_OPEN', `PostgreSQL at ${location} refused the login (${message}): check the user and password in the URL`, { cause: err, details });
  }
  if (code === '42501') {
    return new StoreError('STORE_READONLY', `PostgreSQL at ${location} refused a write (${message}): grant the user rights on baton's schema`, { cause: err, details });
  }
  if (code === '25006') {
    return new StoreError('STORE_READONLY', `PostgreSQL at ${location} is read-only (a standby?): point baton at the primary`, { cause: err, details });
  }
  if (code === '53100') {
    return new StoreError('STORE_DISK_FULL', `PostgreSQL at ${location} has no disk space left: free some and try again; everything recorded before is intact`, { cause: err, details });
  }
  if (code === '53300') {
    return new StoreError('STORE_BUSY', `PostgreSQL at ${location} has no connection slot left (${message}): lower --concurrency or raise max_connections`, { cause: err, details });
  }
  if (code === '40001' || code === '40P01' || code === '55P03') {
    return new StoreError('STORE_BUSY', `PostgreSQL at ${location} kept the change waiting on other writers (${message}): try again`, { cause: err, details });
  }
  return new StoreError('STORE_POSTGRES', `PostgreSQL at ${location}: ${message} (${code})`, { cause: err, details });
}

function unavailable(location: string, message: string, cause: unknown): StoreError {
  return new StoreError(
    'STORE_UNAVAILABLE',
    `cannot reach PostgreSQL at ${location} (${message}): check that the server is running and the URL is right; nothing recorded was lost`,
    { cause, details: { location } },
  );
}
