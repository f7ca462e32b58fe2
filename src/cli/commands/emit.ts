import { emitAndRecord } from '../../runs/emit.js';
import { parseEventData } from '../args.js';
import { EXIT } from '../exit.js';
import { visible } from '../render/visible.js';
import { openCliStore } from '../store.js';
import { continueOne, type ContinueFlags } from './resume.js';
import { remoteFor } from '../remote/connect.js';
import { audited } from '../../access/audit.js';
import { cliPrincipal } from '../audit.js';

interface EmitFlags extends ContinueFlags {
  data?: string;
  run?: string;
}

/**
 * `baton emit <event> [--data json] [--run id]`: delivers an event to the runs waiting for it
 * (wait tasks with `event:` whose filter takes it, ctx.waitForEvent). Runs nobody drives go
 * on here, one after another.
 */
export default async function emit(name: string, flags: EmitFlags): Promise<number> {
  const remote = await remoteFor(flags);
  if (remote) return (await import('../remote/act.js')).remoteEmit(remote, name, flags);
  const data = parseEventData(flags.data);
  const store = await openCliStore(flags);
  try {
    const only = flags.run === undefined ? undefined : await store.runs.resolveRunId(flags.run);
    const reached = await audited(store, cliPrincipal(flags), { action: 'event.emit', target: name.slice(0, 300), ...(only ? { detail: { run: only } } : {}) }, () => emitAndRecord(store, name, data, only, flags.origin));
    if (reached.length === 0) {
      const where = only === undefined ? 'no run waits' : `run ${only} does not wait`;
      process.stderr.write(`baton: ${where} for event ${visible(name)} (or its wait's filter refuses this data); nothing was delivered to a run (an event reaches only waits already open), and it is recorded for the event triggers of baton serve\n`);
      return only === undefined ? EXIT.ok : EXIT.invalid;
    }
    let worst: number = EXIT.ok;
    for (const done of reached) {
      const steps = done.tasks.map((task) => visible(task)).join(', ');
      if (!done.continueHere) {
        const who = done.owner ? `pid ${done.owner.pid} on ${visible(done.owner.host)}` : 'its owner';
        process.stderr.write(`baton: event ${visible(name)} delivered to ${steps} of run ${done.runId}; ${who} goes on with it\n`);
        continue;
      }
      process.stderr.write(`baton: event ${visible(name)} delivered to ${steps} of run ${done.runId}; going on with the run\n`);
      const code = await continueOne(store, done.runId, flags, { kind: 'resume' });
      if (worst === EXIT.ok || (code !== EXIT.ok && code !== EXIT.cancelled)) worst = code;
    }
    return worst;
  } finally {
    await store.close();
  }
}
