/**
 * The commands of workers (docs/postgres.md): `baton worker` runs one, `baton workers`
 * lists the live ones with the queue's depth. Wired like the rest of main.ts: each
 * command's code is imported when it runs.
 */
import type { Command } from 'commander';
import { storeOption } from './store.js';

type Lazy = (load: () => Promise<{ default: (...args: never[]) => Promise<number> | number }>) => (...args: unknown[]) => Promise<void>;

export function workerCommands(program: Command, lazy: Lazy): void {
  program
    .command('worker')
    .description("take work from a shared store (PostgreSQL): drive runs that workers drive and run their tasks, with any number of other workers on any machine; SIGTERM gives back what it holds")
    .option('-c, --concurrency <n>', 'tasks run at once', '16')
    .option('-q, --queues <names...>', 'the queues to take runs and tasks from (a GPU host: --queues gpu); comma-separated or repeated', 'default')
    .option('--namespace <names...>', 'only runs and tasks of these namespaces (default: every namespace)')
    .option('--name <name>', 'how baton workers and the logs name it; unique among live workers (default: <host>-<pid>)')
    .option('--lease <seconds>', 'how long what it claims stays its own without a renewal: a worker silent this long (killed, stopped, cut off) loses its runs and tasks to the others', '30')
    .addOption(storeOption())
    .action(lazy(() => import('./commands/worker.js')));

  program
    .command('workers')
    .description('the live workers of the store: name, host, queues, tasks running, runs driven, last heartbeat; and the queue: tasks waiting and running per queue')
    .option('--json', 'print {workers: [...], queues: [{queue, ready, claimed}]}')
    .addOption(storeOption())
    .action(lazy(() => import('./commands/workers.js')));
}
