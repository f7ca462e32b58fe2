/**
 * The notification outbox in memory (store/outbox.ts), for the runs of this process. Every
 * change reads and writes in one synchronous stretch, so nothing can come between.
 */
import { isDue, type Outbox, type OutboxClaim, type OutboxClaimOptions, type OutboxFilter, type OutboxItem, type OutboxRecord } from '../outbox.js';

export class MemoryOutbox implements Outbox {
  private readonly items = new Map<number, OutboxRecord>();
  private readonly byKey = new Map<string, OutboxRecord>();
  private lastId = 0;

  /** Inside an append (synchronous with it): the items its events cause. */
  addNow(items: readonly OutboxItem[], at: number): number {
    let added = 0;
    for (const item of items) {
      const held = this.byKey.get(item.key);
      if (held) {
        held.repeats++;
        continue;
      }
      const record: OutboxRecord = { ...structuredClone(item), id: ++this.lastId, state: 'pending', attempts: 0, repeats: 0, created_at: at, next_at: at, fence: 0 };
      this.items.set(record.id, record);
      this.byKey.set(record.key, record);
      added++;
    }
    return added;
  }

  async add(items: readonly OutboxItem[], at: number): Promise<number> {
    return this.addNow(items, at);
  }

  async claim(options: OutboxClaimOptions): Promise<OutboxRecord[]> {
    const out: OutboxRecord[] = [];
    for (const record of this.items.values()) {
      if (out.length >= options.limit) break;
      if (!isDue(record, options.now) || (options.runId !== undefined && record.run_id !== options.runId)) continue;
      Object.assign(record, { state: 'sending', sender: options.sender, lease_until: options.now + options.leaseMs, fence: record.fence + 1, attempts: record.attempts + 1 });
      out.push(structuredClone(record));
    }
    return out;
  }

  async sent(claim: OutboxClaim, at: number): Promise<boolean> {
    const record = this.held(claim);
    if (!record) return false;
    record.state = 'sent';
    record.sent_at = at;
    delete record.lease_until;
    return true;
  }

  async failed(claim: OutboxClaim, error: { code: string; message: string }, retryAt?: number): Promise<boolean> {
    const record = this.held(claim);
    if (!record) return false;
    record.state = retryAt === undefined ? 'failed' : 'pending';
    if (retryAt !== undefined) record.next_at = retryAt;
    record.error = { ...error };
    delete record.lease_until;
    return true;
  }

  async list(filter: OutboxFilter = {}): Promise<OutboxRecord[]> {
    const out: OutboxRecord[] = [];
    for (const record of [...this.items.values()].reverse()) {
      if (out.length >= (filter.limit ?? 50)) break;
      if (filter.state !== undefined && record.state !== filter.state) continue;
      if (filter.channel !== undefined && record.channel !== filter.channel) continue;
      if (filter.run_id !== undefined && record.run_id !== filter.run_id) continue;
      if (filter.namespace !== undefined && record.namespace !== filter.namespace) continue;
      out.push(structuredClone(record));
    }
    return out;
  }

  async prune(before: number): Promise<number> {
    let gone = 0;
    for (const [id, record] of this.items) {
      if ((record.state === 'sent' || record.state === 'failed') && (record.sent_at ?? record.next_at) < before) {
        this.items.delete(id);
        this.byKey.delete(record.key);
        gone++;
      }
    }
    return gone;
  }

  private held(claim: OutboxClaim): OutboxRecord | undefined {
    const record = this.items.get(claim.id);
    return record && record.state === 'sending' && record.fence === claim.fence ? record : undefined;
  }
}
