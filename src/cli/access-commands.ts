/**
 * The commands of access control (docs/access.md): `baton token`, `baton audit`, `baton
 * login` and `logout`, wired like the rest of main.ts: each command's code is imported
 * when it runs.
 */
import type { Command } from 'commander';
import { serverOption } from './remote/connect.js';
import { storeOption } from './store.js';

type Lazy = (load: () => Promise<{ default: (...args: never[]) => Promise<number> | number }>) => (...args: unknown[]) => Promise<void>;

export function accessCommands(program: Command, lazy: Lazy): void {
  const token = program.command('token').description('make, list and revoke API tokens of baton serve (docs/access.md#tokens)');
  token
    .command('create')
    .description('make a token and print it once (only its hash is kept); give it to baton login, BATON_TOKEN or an Authorization: Bearer header')
    .requiredOption('--role <roles...>', 'viewer, operator, approver or admin; several as operator,approver or repeated --role')
    .option('--namespace <name>', "the namespace it acts in ('*': every namespace, admin only) (default: default; with --server, the namespace of the token that asks)")
    .option('--expires <duration>', 'it stops working after this long: 12h, 30d, 90d (default: never)')
    .option('--name <label>', 'what it is for, shown in lists and the audit trail')
    .option('--json', 'print {token, id, name, roles, namespace, created_at, expires_at, state}')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (flags: { role: string[]; namespace?: string; expires?: string; name?: string; json?: boolean; store?: string; server?: string | true }) => {
      process.exitCode = await (await import('./commands/token.js')).create(flags);
    });
  token
    .command('list')
    .description('the tokens (never their secrets or hashes): id, name, roles, namespace, state, created, expires, last used')
    .option('--namespace <name>', "only this namespace's")
    .option('--json', 'print {tokens: [...]}')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (flags: { namespace?: string; json?: boolean; store?: string; server?: string | true }) => {
      process.exitCode = await (await import('./commands/token.js')).list(flags);
    });
  token
    .command('revoke')
    .description('revoke a token: every server of the store refuses it at once')
    .argument('<id>', 'the token id, as baton token list shows it')
    .option('--json', 'print the token as revoked')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (id: string, flags: { json?: boolean; store?: string; server?: string | true }) => {
      process.exitCode = await (await import('./commands/token.js')).revoke(id, flags);
    });

  program
    .command('audit')
    .description('the audit trail, newest first: who did or tried what (runs started, cancelled, retried, resumed, approvals, events, schedules, tokens, refused requests), from where, and how it ended')
    .option('--since <when>', 'only entries since: a duration back (30m, 2h, 7d) or a date or time (2026-11-22, 2026-11-22T15:40Z)')
    .option('--actor <actor>', 'only this actor: token:<id>, user:<name>, trigger:<type>:<source>, anonymous, local')
    .option('--namespace <name>', "only this namespace's")
    .option('--action <action>', 'only this action: run.start, run.cancel, approval.answer, token.create, auth.failed...')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print {entries: [{id, at, actor, roles, namespace, origin, action, target, outcome, code, detail}]}')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(lazy(() => import('./commands/audit.js')));

  program
    .command('login')
    .description("keep a baton server's token for --server and BATON_SERVER (checked with the server first; kept in ~/.config/baton/credentials.json, mode 0600); the server becomes the default of a bare --server")
    .argument('[url]', 'the server, e.g. https://baton.example.com (default: $BATON_SERVER)')
    .option('--token <token>', 'the token (default: read from standard input, or asked for without echo)')
    .action(async (url: string | undefined, flags: { token?: string }) => {
      process.exitCode = await (await import('./commands/login.js')).login(url, flags);
    });
  program
    .command('logout')
    .description("forget a server's token kept by baton login (it still works until revoked)")
    .argument('[url]', 'the server (default: $BATON_SERVER, else the last one logged in to)')
    .action(async (url: string | undefined) => {
      process.exitCode = await (await import('./commands/login.js')).logout(url);
    });
}
