import { Masker, secretValues } from './mask.js';
import { renderStrings } from './resolve.js';
import { ScopeBuilder } from './scope.js';
import type { RunState } from './state.js';

/** The environment a run's tasks start from, and the secrets in it. */
export interface RunEnvironment {
  /** The environment of baton's process, as strings. */
  processEnv: Record<string, string>;
  /** The workflow's `environment:`, rendered once, with `--env` on top. */
  workflowEnv: Record<string, string>;
  /** The values of the workflow's `secrets:`. */
  secrets: Record<string, string>;
  /** Hides those values; none when there are none. */
  masker?: Masker;
}

/**
 * Works out a run's environment. The workflow's own env may use inputs, the process env
 * and secrets already in it, so it is rendered once, up front; a secret may also be one of
 * the workflow's own variables. A declared secret that is not set is an error here, before
 * anything runs.
 */
export function runEnvironment(state: RunState, env: NodeJS.ProcessEnv): RunEnvironment {
  const workflow = state.plan.workflow;
  const processEnv = stringEnv(env);
  const outside = { ...processEnv, ...state.env };
  const early = new ScopeBuilder(state, outside, pickDefined(workflow.secrets, outside));
  const workflowEnv = { ...renderStrings(workflow.environment, early.forTask('')), ...state.env };
  const secrets = secretValues(workflow.secrets, { ...processEnv, ...workflowEnv });
  const masker = Masker.of(Object.values(secrets));
  return masker ? { processEnv, workflowEnv, secrets, masker } : { processEnv, workflowEnv, secrets };
}

/** `env` without the variables named as secrets: what a run records of `--env`. */
export function withoutSecrets(env: Record<string, string>, names: readonly string[] | undefined): Record<string, string> {
  const out = { ...env };
  for (const name of names ?? []) delete out[name];
  return out;
}

/** The variables of `env` named in `names`, where set. */
function pickDefined(names: readonly string[] | undefined, env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names ?? []) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
