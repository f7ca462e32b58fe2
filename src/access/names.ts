/**
 * Namespaces (tenants): what a run, a workflow, a schedule, an event, a pool slot, a token
 * and an audit entry belong to. A name from a request or a flag is checked here before it
 * reaches a path, a query or a key: lower-case letters, digits and dashes, so it can never
 * be `..`, hold a separator, or mean something to SQL or a shell.
 */
import { BatonError } from '../observability/errors.js';

/** Where everything is when nothing says otherwise (kept with the run's events, store/events.ts). */
export { DEFAULT_NAMESPACE } from '../store/events.js';

/** A token of this namespace (admin only) acts in any namespace, chosen per request. */
export const EVERY_NAMESPACE = '*';

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isNamespaceName(name: string): boolean {
  return NAME.test(name);
}

/** `name` if it is a namespace name; ACCESS_BAD_NAMESPACE otherwise, saying what is allowed. */
export function checkNamespace(name: string, where = 'namespace'): string {
  if (isNamespaceName(name)) return name;
  throw new BatonError('ACCESS_BAD_NAMESPACE', `${where}: ${JSON.stringify(name.slice(0, 80))} is not a namespace name: lower-case letters, digits and dashes, at most 63, starting and ending with a letter or digit`, {
    details: { namespace: name.slice(0, 80) },
  });
}
