/**
 * Who owns a run, and whether that owner is still there. A process driving a run records
 * itself (host, pid, start time) and renews a heartbeat; a run whose owner is gone shows
 * as `interrupted` and may be resumed by anyone.
 *
 * On the owner's own host the answer is exact: the pid must exist and have started when
 * the owner did (a reused pid belongs to another process). From another host only the
 * heartbeat tells, so the owner is taken for gone once it has been silent for STALE_MS.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { RunStatus } from './events.js';
import type { RunOwner, RunRecord } from './store.js';

/** How often an owner renews its heartbeat and looks for a cancel request. */
export const HEARTBEAT_MS = 500;
/** Silence after which an owner on another host is taken for gone. */
export const STALE_MS = 30_000;
/** Slack when comparing a process's start time as the kernel and as Node saw it. */
const START_SLACK_MS = 5_000;

/** What `history` and `status` show: the stored status, or `interrupted` when its owner is gone. */
export type DisplayStatus = RunStatus | 'interrupted';

let self: RunOwner | undefined;

/** This process, as an owner. */
export function currentOwner(): RunOwner {
  self ??= { host: hostname(), pid: process.pid, started_at: Math.round(performance.timeOrigin) };
  return self;
}

export function sameOwner(a: RunOwner | undefined, b: RunOwner | undefined): boolean {
  return a !== undefined && b !== undefined && a.host === b.host && a.pid === b.pid && a.started_at === b.started_at;
}

/**
 * Is the process that owns this run gone (or is nobody driving an unfinished run)? On the
 * owner's host a process that no longer exists is gone at once; otherwise, and for a
 * process that exists but stopped renewing (stopped, hung), its lease decides.
 */
export function isOwnerGone(record: RunRecord, now: number = Date.now()): boolean {
  if (!record.owner) return true;
  return ownerProcessGone(record) || leaseExpired(record, now);
}

/**
 * The owner is a process of this host that no longer exists: what a claim may add to the
 * store's own check of the lease (RunStore.claimRun's `isGone`). Never true for an owner
 * on another host: there only the lease tells, by the store's clock.
 */
export function ownerProcessGone(record: RunRecord): boolean {
  const owner = record.owner;
  if (!owner) return true;
  return owner.host === currentOwner().host && !processAlive(owner.pid, owner.started_at);
}

/** The owner's lease has run out at `now` (a run recorded before leases: its heartbeat is STALE_MS old). */
export function leaseExpired(record: Pick<RunRecord, 'lease_until' | 'heartbeat_at'>, now: number): boolean {
  if (record.lease_until !== undefined) return now > record.lease_until;
  return record.heartbeat_at === undefined || now - record.heartbeat_at > STALE_MS;
}

/** A claim by `owner` at `at` takes the run (the stores that keep time by the caller's clock: memory, SQLite). */
export function mayClaim(record: RunRecord, owner: RunOwner, at: number, isGone: (record: RunRecord) => boolean): boolean {
  return !record.owner || sameOwner(record.owner, owner) || leaseExpired(record, at) || isGone(record);
}

export function displayStatus(record: RunRecord, now: number = Date.now()): DisplayStatus {
  if (record.status !== 'running' && record.status !== 'pending') return record.status;
  return isOwnerGone(record, now) ? 'interrupted' : record.status;
}

/** Does a process with this pid exist, and did it start when the owner did? */
export function processAlive(pid: number, startedAt?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = processStat(pid);
  // A zombie (killed, not yet reaped by its parent) still answers kill(pid, 0): it is gone.
  if (stat?.state === 'Z' || stat?.state === 'X') return false;
  if (startedAt === undefined || stat === undefined) return true;
  return Math.abs(stat.startedAt - startedAt) <= START_SLACK_MS;
}

let bootTime: number | undefined;

/** A process's state letter and start time, from /proc (Linux); undefined where that cannot be read. */
function processStat(pid: number): { state: string; startedAt: number } | undefined {
  try {
    if (bootTime === undefined) {
      const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      if (!btime) return undefined;
      bootTime = Number(btime[1]) * 1000;
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    // Linux reports clock ticks of 1/100 s (USER_HZ) on every architecture Node supports.
    return Number.isFinite(ticks) ? { state: fields[0], startedAt: bootTime + ticks * 10 } : undefined;
  } catch {
    return undefined;
  }
}
