/**
 * The commands of observability (docs/observability.md), wired like the rest of main.ts: each
 * command's code is imported when it runs.
 * - `baton metrics`: figures per workflow and task (runs/metrics.ts);
 * - `baton monitor`: a live dashboard in the terminal (cli/monitor/);
 * - `baton notifications` (or `list`): what runs' ends and alerts sent, are sending or gave
 *   up on; `baton notifications send` sends what is due now (for a machine with no `baton
 *   serve` or `baton worker` running: from cron, say).
 */
import { Option, type Command } from 'commander';
import { serverOption } from './remote/connect.js';
import { storeOption } from './store.js';

type Lazy = (load: () => Promise<{ default: (...args: never[]) => Promise<number> | number }>) => (...args: unknown[]) => Promise<void>;

export function observabilityCommands(program: Command, lazy: Lazy): void {
  program
    .command('metrics')
    .description('runs, success rate, failures, retries, durations (p50, p95, max) and queue waits per workflow and per task, the slowest tasks, and the critical path of the slowest run')
    .option('-w, --workflow <name>', 'only this workflow, with its tasks and the critical path of its slowest run')
    .option('--since <when>', 'runs created since: a duration back from now (7d, 24h, 30m) or a date (2026-11-22, 2026-11-22T15:40)', '7d')
    .option('--json', 'print the metrics as one JSON document (see docs/cli.md)')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(lazy(() => import('./commands/metrics.js')));

  program
    .command('monitor')
    .description('a live dashboard of the store or a server: unfinished runs with their running tasks and progress, the runs that ended last, failure counts, workers and the queue; keys open a run, follow its logs, cancel it (q quits)')
    .option('--refresh <ms>', 'how often the screen reads the store again, in milliseconds (at least 100)', '500')
    .option('--once', 'print one snapshot of the dashboard as text and exit (for scripts, and where standard output is not a terminal)')
    .option('--json', 'print one snapshot as JSON (the document of GET /api/overview) and exit')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(lazy(() => import('./commands/monitor.js')));

  notificationCommands(program);
}

function notificationCommands(program: Command): void {
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
