/**
 * The audit trail of the CLI acting on a local store (docs/access.md#audit): the OS user is
 * the actor (origin `mcp` when `baton mcp` started the command). With `--server` the
 * server records what it was asked instead.
 */
import { recordAudit } from '../access/audit.js';
import { localUser, type Principal } from '../access/principal.js';
import type { Store } from '../store/store.js';
import type { Hooks } from './drive.js';
import type { OriginFlags } from './origin.js';

export function cliPrincipal(flags: OriginFlags): Principal {
  const who = localUser();
  return flags.origin === 'mcp' ? { ...who, origin: 'mcp' } : who;
}

/** `hooks`, recording `run.start` once the new run's RunCreated is in the store. */
export function auditingStart(store: Store, who: Principal, hooks: Hooks): Hooks {
  let recorded = false;
  return {
    ...hooks,
    onEvent: (event, state) => {
      if (!recorded && event.type === 'RunCreated') {
        recorded = true;
        void recordAudit(store, who, { action: 'run.start', target: state.runId, outcome: 'ok', detail: { workflow: state.plan.workflow.name } });
      }
      hooks.onEvent(event, state);
    },
  };
}
