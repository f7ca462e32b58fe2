/**
 * The commands of the notification outbox (docs/cli.md#baton-notifications): `baton
 * notifications` (or `list`) shows what runs' ends and alerts sent, are sending or gave up
 * on; `baton notifications send` sends what is due now (for a machine with no `baton serve`
 * or `baton worker` running: from cron, say). Wired like the rest of main.ts: the command's
 * code is imported when it runs.
 */
import { Option, type Command } from 'commander';
import { storeOption } from './store.js';

export function notificationCommands(program: Command): void {
  const notifications = program
    .command('notifications')
    .description("the notifications runs' ends and alerts cause (the outbox): list them (the default), or send what is due");
  notifications
    .command('list', { isDefault: true })
    .description('newest first: each notice, its channel, state (pending, sending, sent, failed), attempts and last error; and the channels whose notices were given up')
    .option('--run <id>', "only this run's")
    .option('--channel <name>', "only this channel's")
    .addOption(new Option('--state <state>', 'only those in this state').choices(['pending', 'sending', 'sent', 'failed']))
    .option('--failed', 'only those given up (--state failed)')
    .option('--limit <n>', 'at most this many (default 50)')
    .option('--json', 'print {notifications: [{id, key, channel, run_id, state, attempts, repeats, created_at, next_at, sent_at, error, notice}]}')
    .addOption(storeOption())
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      process.exitCode = await (await import('./commands/notifications.js')).list(flags);
    });
  notifications
    .command('send')
    .description("send the notifications that are due now, with this project's channels; exit 1 when some were given up")
    .option('--json', 'print {sent, retrying, failed}')
    .addOption(storeOption())
    .action(async (flags: { json?: boolean; store?: string }) => {
      process.exitCode = await (await import('./commands/notifications.js')).send(flags);
    });
}
