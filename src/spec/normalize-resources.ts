/**
 * A task's `resources`: the pools (baton.config.yaml's `resources:`) it must hold while it
 * runs, as a list (`[db-migrations, gpu]`, one of each) or with amounts (`{gpu: 2}`).
 * zod has checked the kinds of values; this checks the names, and, when the config's pools
 * are known (`baton run`, `baton validate` in a project with a config file), that each pool
 * exists and is big enough, with a did-you-mean for a misspelt one.
 */
import type { Reporter } from './diagnostics.js';
import { isMap, type RawMap } from './raw.js';
import { didYouMean } from './suggest.js';

/** What a pool may be called (in the config and in a task). */
export const POOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** pool -> amount; undefined when the task asks for none. */
export function resourcesOf(raw: RawMap, rep: Reporter, pools: Readonly<Record<string, number>> | undefined): Record<string, number> | undefined {
  if (!Object.hasOwn(raw, 'resources')) return undefined;
  const value = raw.resources;
  const asked: Array<{ pool: string; amount: number; at: () => ReturnType<Reporter['value']> }> = [];
  if (typeof value === 'string') asked.push({ pool: value, amount: 1, at: () => rep.value(raw, 'resources') });
  else if (Array.isArray(value)) {
    value.forEach((pool, i) => {
      if (typeof pool === 'string') asked.push({ pool, amount: 1, at: () => rep.value(value, i) });
    });
  } else if (isMap(value)) {
    for (const [pool, amount] of Object.entries(value)) {
      if (typeof amount === 'number' && Number.isInteger(amount) && amount > 0) asked.push({ pool, amount, at: () => rep.key(value, pool) });
    }
  }
  const out: Record<string, number> = {};
  for (const { pool, amount, at } of asked) {
    if (!POOL_NAME.test(pool)) {
      rep.error('SPEC_INVALID_VALUE', `'${pool}' is not a pool name`, at(), 'pool names hold letters, digits and _ . - and start with a letter, digit or _');
      continue;
    }
    if (Object.hasOwn(out, pool)) {
      rep.error('SPEC_INVALID_VALUE', `pool '${pool}' is asked for twice`, at(), `to hold more of it, give an amount: resources: {${pool}: 2}`);
      continue;
    }
    out[pool] = amount;
    if (pools === undefined) continue;
    const capacity = pools[pool];
    if (capacity === undefined) {
      const known = Object.keys(pools);
      const hint = known.length === 0 ? `baton.config.yaml declares no pools: add \`resources: {${pool}: 1}\` there` : `the pools of baton.config.yaml are: ${known.join(', ')}`;
      rep.error('SPEC_UNKNOWN_RESOURCE', `unknown pool '${pool}'${didYouMean(pool, known)}`, at(), hint);
    } else if (amount > capacity) {
      rep.error('SPEC_RESOURCE_OVER_CAPACITY', `asks for ${amount} of pool '${pool}', which has ${capacity}: it could never start`, at(), `ask for at most ${capacity}, or raise the capacity in baton.config.yaml`);
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
