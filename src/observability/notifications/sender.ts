/**
 * Sends what the outbox holds (store/outbox.ts): claims due items, sends each to its
 * channel (channels/send.ts), and records how it went. `baton run` sends what its own run
 * caused before it exits; `baton serve` and `baton worker` keep sending for every run of
 * the store, so a notice that could not be sent at once (Slack down, a full mailbox) goes
 * out when the channel is back, from whichever of them is running.
 *
 * - A failure worth trying again (network, HTTP 5xx or 429, SMTP 4xx) is tried after a
 *   back-off that doubles from BASE_DELAY_MS up to MAX_DELAY_MS; after MAX_ATTEMPTS, or at
 *   once for a failure that trying again cannot help (HTTP 4xx, a missing secret, a channel
 *   no longer configured), the item is given up: `failed`, with its error, listed by
 *   `baton notifications --failed` and reported on the sender's log.
 * - Never twice: an item is sent only under a live claim, and marked sent right after.
 *   Only a sender that dies between the two (a crash, or a claim lost past its lease) can
 *   leave a sent item to be sent again, with the same delivery id (X-Baton-Delivery, the
 *   email's Message-ID), so a receiver can tell.
 * - The channel's settings (URLs, addresses, secrets) are this process's: read from its
 *   baton.config.yaml and environment when it sends, never stored with the item.
 */
import { Coalesced } from '../coalesced.js';
import { errorCode } from '../errors.js';
import type { NotifyChannel } from '../../spec/notify-channels.js';
import type { OutboxRecord } from '../../store/outbox.js';
import type { Store } from '../../store/store.js';
import type { Notice } from '../channels/notice.js';
import type { Env } from '../channels/secrets.js';

export const MAX_ATTEMPTS = 10;
export const BASE_DELAY_MS = 5_000;
export const MAX_DELAY_MS = 30 * 60_000;
/** How long a claim holds: longer than any one send (SEND_TIMEOUT_MS). */
const LEASE_MS = 90_000;
const SEND_TIMEOUT_MS = 30_000;
/** Items claimed at once. */
const BATCH = 20;

export interface SenderOptions {
  store: Store;
  /** The channels this process knows (baton.config.yaml `notifications.channels`). */
  channels: Readonly<Record<string, NotifyChannel>>;
  /** Who sends, as claims name it (host:pid). */
  sender: string;
  /** Where `*_env` secrets are read; default process.env. */
  env?: Env;
  /** A line for each notice given up (and, with `verbose`, each sent); default stderr. */
  log?: (line: string) => void;
  now?: () => number;
}

export interface SendPass {
  sent: number;
  /** Failed, to be tried again later. */
  retrying: number;
  /** Given up. */
  failed: number;
}

/** When a failed send is tried again: never, once attempts are spent or the error is for good. */
export function retryAt(attempts: number, retryable: boolean, now: number): number | undefined {
  if (!retryable || attempts >= MAX_ATTEMPTS) return undefined;
  return now + Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (attempts - 1));
}

/** The channel a name means: the configured one, or Slack's incoming webhook for `slack` (SLACK_WEBHOOK_URL, as in seed 004). */
export function channelNamed(name: string, channels: Readonly<Record<string, NotifyChannel>>): NotifyChannel | undefined {
  if (Object.hasOwn(channels, name)) return channels[name];
  return name === 'slack' ? { type: 'slack' } : undefined;
}

export class NoticeSender {
  private timer?: NodeJS.Timeout;
  private readonly stopping = new AbortController();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(private readonly options: SenderOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /**
   * One pass: claims what is due (only `runId`'s with it) and sends it, until nothing is
   * due. What fails and may be tried again waits for its time.
   */
  async sendDue(runId?: string): Promise<SendPass> {
    const pass: SendPass = { sent: 0, retrying: 0, failed: 0 };
    for (;;) {
      if (this.stopping.signal.aborted) return pass;
      const claimed = await this.options.store.outbox.claim({ sender: this.options.sender, now: this.now(), leaseMs: LEASE_MS, limit: BATCH, ...(runId === undefined ? {} : { runId }) });
      if (claimed.length === 0) return pass;
      // Items to different channels go out side by side; a slow channel holds up only its own.
      await Promise.all(claimed.map((item) => this.sendOne(item, pass)));
    }
  }

  /**
   * `baton run`: sends what its run caused, trying a failed send again while `budgetMs`
   * lasts; what is still unsent after it is left for `baton serve`, `baton worker` or
   * `baton notifications send`.
   */
  async sendForRun(runId: string, budgetMs: number): Promise<SendPass & { pending: number }> {
    const total: SendPass = { sent: 0, retrying: 0, failed: 0 };
    const until = this.now() + budgetMs;
    for (;;) {
      const pass = await this.sendDue(runId);
      total.sent += pass.sent;
      total.failed += pass.failed;
      const left = (await this.options.store.outbox.list({ run_id: runId, state: 'pending', limit: 100 })).filter((item) => item.attempts > 0);
      const next = Math.min(...left.map((item) => item.next_at));
      if (left.length === 0 || next > until) return { ...total, retrying: left.length, pending: left.length };
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - this.now())));
    }
  }

  /** Keeps sending (baton serve, baton worker): a pass every `everyMs`, and at once when poked. */
  start(everyMs = 1_000): void {
    this.timer = setInterval(() => this.poke(), everyMs);
    this.timer.unref();
    this.poke();
  }

  /** A pass now (again once the current one ends, if one is under way). */
  poke(): void {
    this.passes.poke();
  }

  private readonly passes = new Coalesced(
    () => this.sendDue(),
    (err: unknown) => this.log(`baton: notifications could not be read from the store (${errorCode(err)}): ${err instanceof Error ? err.message : String(err)}`),
    () => this.stopping.signal.aborted,
  );

  /** Stops the loop; a send under way is cut short and its item tried again later. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await this.passes.settle();
  }

  private async sendOne(item: OutboxRecord, pass: SendPass): Promise<void> {
    const outbox = this.options.store.outbox;
    const channel = channelNamed(item.channel, this.options.channels);
    if (channel === undefined) {
      const message = `channel ${item.channel} is not defined in this baton.config.yaml (notifications.channels)`;
      await outbox.failed(item, { code: 'NOTIFY_UNKNOWN_CHANNEL', message });
      pass.failed++;
      this.log(`baton: notification ${item.key} given up: ${message}`);
      return;
    }
    const signal = AbortSignal.any([this.stopping.signal, AbortSignal.timeout(SEND_TIMEOUT_MS)]);
    try {
      const { sendNotice } = await import('../channels/send.js');
      const notice = withRepeats(item);
      await sendNotice(item.channel, channel, notice, this.options.env ?? process.env, signal);
      await outbox.sent(item, this.now());
      pass.sent++;
    } catch (err) {
      const code = errorCode(err);
      const message = err instanceof Error ? err.message : String(err);
      // Stopped by this process (baton serve shutting down): not the channel's fault, nor an attempt.
      const retryable = this.stopping.signal.aborted || (err as { retryable?: boolean }).retryable !== false;
      const again = retryAt(item.attempts, retryable, this.now());
      await outbox.failed(item, { code, message }, again);
      if (again === undefined) {
        pass.failed++;
        this.log(`baton: notification to channel ${item.channel} given up after ${item.attempts} attempt${item.attempts === 1 ? '' : 's'} (${code}): ${message}`);
      } else pass.retrying++;
    }
  }
}

/** The notice as stored, saying how many like it were held back in its window (an alert's repeats). */
function withRepeats(item: OutboxRecord): Notice {
  const notice = item.notice as unknown as Notice;
  if (item.repeats === 0) return notice;
  return { ...notice, text: `${notice.text}\n(${item.repeats} more time${item.repeats === 1 ? '' : 's'} in this window, not sent separately)` };
}
