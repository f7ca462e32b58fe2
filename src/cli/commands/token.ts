/**
 * `baton token create|list|revoke` (docs/access.md#tokens): API tokens of `baton serve`,
 * on the project's store (as the OS user, who may make any) or through a server with
 * `--server` (as the caller's token allows). A new token is printed once: only its hash is
 * kept.
 */
import { isNamespaceName } from '../../access/names.js';
import { localUser } from '../../access/principal.js';
import { audited } from '../../access/audit.js';
import { parseRoles } from '../../access/roles.js';
import { createToken, listTokens, revokeToken, type TokenView } from '../../access/token-admin.js';
import { BatonError } from '../../observability/errors.js';
import { parseDuration } from '../../spec/duration.js';
import { EXIT } from '../exit.js';
import { remoteFor, type ServerFlags } from '../remote/connect.js';
import { visible } from '../render/visible.js';
import { renderTable } from '../render/table.js';
import { openCliStore, type StoreFlags } from '../store.js';

interface CreateFlags extends StoreFlags, ServerFlags {
  role: string[];
  namespace?: string;
  expires?: string;
  name?: string;
  json?: boolean;
}

interface ListFlags extends StoreFlags, ServerFlags {
  namespace?: string;
  json?: boolean;
}

export async function create(flags: CreateFlags): Promise<number> {
  const roles = parseRoles(flags.role);
  const expiresIn = flags.expires === undefined ? undefined : expiry(flags.expires);
  const remote = await remoteFor(flags);
  let made: { token: string; view: TokenView };
  if (remote) {
    const answer = await remote.server.post<{ token: string } & TokenView>('/api/tokens', {
      roles,
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      ...(expiresIn !== undefined ? { expires_in: Math.ceil(expiresIn / 1000) } : {}),
      ...(flags.name !== undefined ? { name: flags.name } : {}),
    });
    const { token, ...view } = answer;
    made = { token, view };
  } else {
    const store = await openCliStore(flags, { create: true });
    try {
      const who = localUser(flags.namespace !== undefined && isNamespaceName(flags.namespace) ? flags.namespace : undefined);
      const request = { roles, namespace: flags.namespace ?? 'default', ...(expiresIn !== undefined ? { expires_at: Date.now() + expiresIn } : {}), ...(flags.name !== undefined ? { name: flags.name } : {}) };
      made = await audited(store, who, { action: 'token.create', detail: { roles, namespace: request.namespace } }, () => createToken(store.access, who, request), (result) => result.view.id);
    } finally {
      await store.close();
    }
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ token: made.token, ...made.view }, null, 2) + '\n');
    return EXIT.ok;
  }
  process.stdout.write(`${made.token}\n`);
  process.stderr.write(
    `token ${made.view.id} (${made.view.roles.join(', ')} in ${made.view.namespace}${made.view.expires_at ? `, until ${made.view.expires_at}` : ''}): it is not shown again; keep it in a secret store. Use it with \`baton login URL\` or BATON_TOKEN, or as Authorization: Bearer\n`,
  );
  return EXIT.ok;
}

export async function list(flags: ListFlags): Promise<number> {
  const remote = await remoteFor(flags);
  let tokens: TokenView[];
  if (remote) {
    tokens = (await remote.server.get<{ tokens: TokenView[] }>('/api/tokens', { namespace: flags.namespace })).tokens;
  } else {
    const store = await openCliStore(flags);
    try {
      tokens = await listTokens(store.access, localUser(), flags.namespace);
    } finally {
      await store.close();
    }
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify({ tokens }, null, 2) + '\n');
    return EXIT.ok;
  }
  if (tokens.length === 0) {
    process.stdout.write('no tokens: baton serve answers local callers only (loopback); make one with `baton token create --role admin`\n');
    return EXIT.ok;
  }
  const head = ['ID', 'NAME', 'ROLES', 'NAMESPACE', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'];
  const day = (iso: string | undefined) => (iso === undefined ? '-' : iso.slice(0, 16).replace('T', ' '));
  const rows = tokens.map((t) => [t.id, t.name ?? '-', t.roles.join(','), t.namespace, t.state, day(t.created_at), day(t.expires_at), day(t.last_used_at)]);
  process.stdout.write(renderTable(head, rows));
  return EXIT.ok;
}

export async function revoke(id: string, flags: StoreFlags & ServerFlags & { json?: boolean }): Promise<number> {
  const remote = await remoteFor(flags);
  let view: TokenView;
  if (remote) {
    if (!/^[0-9a-z]{1,40}$/.test(id)) throw new BatonError('TOKEN_NOT_FOUND', `no token ${JSON.stringify(id.slice(0, 40))}: baton token list shows their ids`);
    view = await remote.server.post<TokenView>(`/api/tokens/${encodeURIComponent(id)}/revoke`);
  } else {
    const store = await openCliStore(flags);
    try {
      const who = localUser();
      view = await audited(store, who, { action: 'token.revoke', target: id.slice(0, 40) }, () => revokeToken(store.access, who, id));
    } finally {
      await store.close();
    }
  }
  if (flags.json) process.stdout.write(JSON.stringify(view, null, 2) + '\n');
  else process.stdout.write(`revoked token ${view.id}${view.name ? ` (${visible(view.name)})` : ''}: every server of the store refuses it from now on\n`);
  return EXIT.ok;
}

/** `--expires 30d`: how long from now, in ms. */
function expiry(text: string): number {
  let ms: number;
  try {
    ms = parseDuration(text, 's');
  } catch {
    ms = NaN;
  }
  if (!(ms > 0)) throw new BatonError('USAGE_BAD_DURATION', `--expires ${JSON.stringify(text)} is not a duration: e.g. 12h, 30d, 90d`, { details: { option: '--expires' } });
  return ms;
}
