/**
 * `resources:` of baton.config.yaml: the named pools tasks take a share of while they run
 * (store/pools.ts), each with its capacity: `resources: {db-migrations: 1, gpu: 2}`.
 * Checked with file:line:col like every setting; pure.
 */
import type { Reporter } from '../spec/diagnostics.js';
import { POOL_NAME } from '../spec/normalize-resources.js';

/** pool -> capacity (a whole number, at least 1). */
export type PoolCapacities = Record<string, number>;

/** Reads `resources` of the config's top level; undefined (reported) when it is not a mapping of pools. */
export function parseResources(map: Record<string, unknown>, rep: Reporter): PoolCapacities | undefined {
  const raw = map.resources;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    rep.error('CONFIG_TYPE', '`resources` must be a mapping of pool name: capacity', rep.value(map, 'resources'), 'e.g. resources: {db-migrations: 1, gpu: 2}');
    return undefined;
  }
  const pools = raw as Record<string, unknown>;
  const out: PoolCapacities = {};
  for (const [name, capacity] of Object.entries(pools)) {
    if (!POOL_NAME.test(name)) {
      rep.error('CONFIG_TYPE', `pool name '${name}' is not one baton takes`, rep.key(pools, name), 'pool names hold letters, digits and _ . - and start with a letter, digit or _');
    } else if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) {
      rep.error('CONFIG_TYPE', `the capacity of pool '${name}' must be a whole number, at least 1`, rep.value(pools, name), `how many tasks may hold it at once, e.g. ${name}: 1`);
    } else out[name] = capacity;
  }
  return out;
}
