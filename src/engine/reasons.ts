/**
 * Reasons and messages the engine writes for people (why a task was skipped, why a group
 * failed), kept short however many tasks they name: a task with 40 failed dependencies
 * says `dependencies a, b, c, ... (37 more) failed`, not a screenful.
 */

/** Names shown before the rest are counted. */
const SHOWN = 3;
/** Longest quoted expression in a reason. */
const MAX_QUOTED = 120;

/** `a, b, c, ... (37 more)`. */
export function listKeys(keys: readonly string[], shown = SHOWN): string {
  if (keys.length <= shown) return keys.join(', ');
  return `${keys.slice(0, shown).join(', ')}, ... (${keys.length - shown} more)`;
}

/**
 * Why a task whose dependencies did not all succeed is not run, grouped by how they ended:
 * `dependency a failed`, `dependencies a, b, ... (3 more) failed; c skipped`.
 */
export function blockedBy(deps: ReadonlyArray<{ key: string; status: string }>): string {
  if (deps.length === 0) return 'dependencies did not succeed';
  const byStatus = new Map<string, string[]>();
  for (const { key, status } of deps) {
    const list = byStatus.get(status);
    if (list) list.push(key);
    else byStatus.set(status, [key]);
  }
  const groups = [...byStatus].map(([status, keys]) => `${listKeys(keys)} ${status}`);
  return `${deps.length === 1 ? 'dependency' : 'dependencies'} ${groups.join('; ')}`;
}

/** An expression quoted in a reason, cut to a readable length. */
export function quoted(expression: string): string {
  const flat = expression.replace(/\s+/g, ' ').trim();
  return flat.length <= MAX_QUOTED ? flat : `${flat.slice(0, MAX_QUOTED - 1)}…`;
}
