/**
 * `baton run`'s place in the run queue (runs/admission.ts): the same limits as `baton
 * serve` on the same store (a workflow's concurrency key, `server.max_running` of
 * baton.config.yaml), and `--priority`. A run that must wait says so on stderr and waits
 * in this process; on_conflict: cancel-running asks the runs holding the key to cancel,
 * as `baton cancel` would (one nobody drives is cancelled here, its cleanup included).
 */
import { loadProject } from '../config/project.js';
import type { Admission } from '../engine/admission.js';
import { continueStoredRun, requestCancel } from '../engine/resume.js';
import { waitingAdmission } from '../runs/queue-wait.js';
import { currentOwner } from '../store/ownership.js';
import type { Store } from '../store/store.js';
import { parseInteger } from './args.js';
import { driveExtras } from './code-run.js';
import { visible } from './render/visible.js';

export function cliAdmission(store: Store, priorityFlag: string | undefined): Admission {
  const priority = parseInteger(priorityFlag, '--priority');
  const maxRunning = loadProject().config.server?.max_running;
  const say = (line: string) => process.stderr.write(visible(line) + '\n');
  return waitingAdmission({
    ...(priority === undefined ? {} : { priority }),
    limits: maxRunning === undefined ? {} : { maxRunning },
    say,
    cancel: async (runId, reason) => {
      try {
        const owner = await requestCancel(store.runs, runId, reason);
        if (owner !== undefined) return;
        await continueStoredRun({ store, runId, owner: currentOwner(), ...driveExtras() }, { kind: 'cancel', reason });
      } catch (err) {
        say(`baton: could not cancel run ${runId}: ${(err as Error).message}`);
      }
    },
  });
}
