/**
 * Processes a dead baton left behind. Tasks run in their own process groups, so when the
 * process driving a run is killed outright (`kill -9`, OOM killer, power-cut-like stop)
 * its tasks live on. Before a resume runs an interrupted task again, whatever is left of
 * its earlier attempt is stopped, so two copies of a task never run at once.
 *
 * Every task process carries BATON_RUN_ID in its environment (process-task.ts), and
 * children inherit it, so the leftovers of a run are found by that variable in
 * /proc/<pid>/environ, and their process groups are stopped: SIGTERM, then SIGKILL after
 * the grace. Linux only; elsewhere nothing is found.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupHasLiveMembers, KILL_GRACE_MS } from './process-group.js';

/** Stops the leftover processes of a run; resolves with the process groups it stopped. */
export async function stopLeftoverProcesses(runId: string, graceMs = KILL_GRACE_MS): Promise<number[]> {
  const groups = leftoverGroups(runId);
  if (groups.length === 0) return groups;
  for (const pgid of groups) signal(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groups.some((pgid) => groupHasLiveMembers(pgid))) await sleep(50);
  for (const pgid of groups) if (groupHasLiveMembers(pgid)) signal(pgid, 'SIGKILL');
  return groups;
}

/** Process groups holding a live process of this run (never this process's own group). */
export function leftoverGroups(runId: string): number[] {
  if (process.platform !== 'linux') return [];
  const marker = Buffer.from(`BATON_RUN_ID=${runId}\0`);
  const groups = new Set<number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const entry of entries) {
    const code = entry.charCodeAt(0);
    if (code < 48 || code > 57 || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`);
      const at = environ.indexOf(marker);
      // The variable must start an entry, not end another one (FOO_BATON_RUN_ID=...).
      if (at < 0 || (at > 0 && environ[at - 1] !== 0)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      const pgid = Number(fields[2]);
      if (pgid > 1 && pgid !== process.pid) groups.add(pgid);
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return [...groups];
}

function signal(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
}
