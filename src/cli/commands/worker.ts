/**
 * `baton worker`: one worker (runs/worker.ts) on the project's store, until SIGTERM or
 * Ctrl-C, which stop it gracefully: what runs is stopped and given back to the queue, the
 * runs it drives are let go for another worker to take at once. A second signal forces.
 */
import { BatonError } from '../../observability/errors.js';
import { driveExtras } from '../../runs/drive-options.js';
import { projectChannels } from '../../config/project-channels.js';
import { checkQueueName, parsePositiveInt } from '../args.js';
import { EXIT } from '../exit.js';
import { openCliStore, type StoreFlags } from '../store.js';
import { untilStopped } from '../stop-signals.js';

interface WorkerFlags extends StoreFlags {
  concurrency?: string;
  queues?: string[] | string;
  namespace?: string[];
  name?: string;
  lease?: string;
}

/** `a,b` and repeated options alike, as a list without blanks. */
export function listOption(value: string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return list.length > 0 ? list : undefined;
}

export default async function worker(flags: WorkerFlags): Promise<number> {
  const concurrency = parsePositiveInt(flags.concurrency, '--concurrency') ?? 16;
  const leaseMs = (parsePositiveInt(flags.lease, '--lease') ?? 30) * 1000;
  const store = await openCliStore(flags, { create: true });
  if (store.location === 'memory') {
    await store.close();
    throw new BatonError('WORKER_MEMORY_STORE', 'a worker takes work from a store other processes share, and a memory store is this process\'s alone: point --store (or BATON_STORE) at PostgreSQL (postgres://...) or a SQLite file');
  }
  const { Worker } = await import('../../runs/worker.js');
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const namespaces = listOption(flags.namespace);
  const running = new Worker({
    store,
    concurrency,
    leaseMs,
    queues: (listOption(flags.queues) ?? ['default']).map((queue) => checkQueueName(queue, '--queues')),
    ...(namespaces ? { namespaces } : {}),
    ...(flags.name ? { name: flags.name } : {}),
    drive: driveExtras(),
    log,
  });
  await running.start();
  // Notifications of the runs it drives, and any others left unsent (observability/notifications/sender.ts).
  const { NoticeSender } = await import('../../observability/notifications/sender.js');
  const notices = new NoticeSender({ store, channels: projectChannels() ?? {}, sender: `${running.name}`, log });
  notices.start();
  log(`worker ${running.name}: taking runs and tasks of queue(s) ${running.queues.join(', ')} from ${store.location}, ${concurrency} at a time`);
  return untilStopped({
    stopping: (signal) => log(`${signal}: stopping; giving back what this worker holds`),
    forced: (signal) => log(`${signal} again: forced stop; what this worker held goes to the others when its lease runs out`),
    stop: async () => {
      await running.stop();
      await notices.stop();
      await store.close();
      return EXIT.ok;
    },
  });
}
