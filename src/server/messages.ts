/**
 * `message` triggers under `baton serve`: one durable subscription per trigger (a NATS
 * JetStream consumer, an AMQP queue, an MQTT persistent session; src/brokers), each
 * message read (triggers/message.ts) and fired through the trigger hub, and acknowledged
 * only after the firing, and the run it starts, are recorded. The order is what makes a
 * crash cost nothing:
 *
 *   received -> firing recorded (its delivery) -> run recorded -> acked
 *
 * A crash before the firing is recorded leaves the message unacked: the broker delivers
 * it again. After it, the delivery is in the store: a redelivery is a duplicate, except
 * that a firing whose run was never recorded starts that run then (trigger-hub.ts), under
 * the run id the firing gave it, so it exists once. A message the trigger cannot read,
 * or whose filter fails, is recorded and acked (a poison message is not sent back forever).
 * A broker that goes away is reconnected to after a back-off, and said in the log and
 * GET /api/triggers; nothing here stops the server.
 *
 * BATON_TEST_MESSAGE_HOOK (tests only) holds a message at a point of that order forever,
 * saying so in the log, so a test can kill the server exactly there: `received` (before
 * anything is recorded) or `recorded` (the run recorded, not yet acked).
 */
import { keepSubscribed, redactUrl, type Incoming, type Kept, type SubscriptionState } from '../brokers/index.js';
import { kindOfFields } from '../spec/normalize-message.js';
import { DESTINATION_FIELDS } from '../spec/broker-kind.js';
import type { Trigger } from '../spec/model.js';
import { readMessage, subscriptionOf } from '../triggers/message.js';
import type { TriggerHost, TriggerHub } from './trigger-hub.js';

const TEST_HOOK = 'BATON_TEST_MESSAGE_HOOK';

/** One trigger's subscription, as GET /api/triggers shows it. */
export interface MessageSubscription {
  workflow: string;
  /** The trigger's place among the workflow's triggers. */
  index: number;
  /** The broker (password hidden), where it reads, and its consumer. */
  broker: string;
  consumer: string;
  state: SubscriptionState;
}

interface Running extends MessageSubscription {
  key: string;
  trigger: Trigger;
  kept?: Kept;
}

export class MessageTriggers {
  private readonly running = new Map<string, Running>();
  private started = false;
  private stopping = false;

  constructor(
    private readonly host: TriggerHost,
    private readonly hub: TriggerHub,
  ) {}

  /** Subscribes for every message trigger served now, and from then on follows the workflows as they change. */
  start(): void {
    this.started = true;
    this.restart();
  }

  /** Subscriptions for the message triggers served now: new ones made, gone ones ended, unchanged ones kept open. */
  restart(): void {
    if (!this.started || this.stopping) return;
    const wanted = new Map<string, { workflow: string; index: number; trigger: Trigger }>();
    for (const { workflow, trigger, index } of this.hub.triggers('message')) {
      wanted.set(JSON.stringify([workflow.name, index, trigger.config]), { workflow: workflow.name, index, trigger });
    }
    for (const [key, sub] of this.running) {
      if (wanted.has(key)) continue;
      this.running.delete(key);
      void sub.kept?.stop();
    }
    for (const [key, want] of wanted) {
      const kept = this.running.get(key);
      if (kept) kept.trigger = want.trigger;
      else this.subscribe(key, want.workflow, want.index, want.trigger);
    }
  }

  /** Each subscription and its state. */
  list(): MessageSubscription[] {
    return [...this.running.values()].map(({ workflow, index, broker, consumer, state }) => ({ workflow, index, broker, consumer, state }));
  }

  /** Ends every subscription: messages in hand are not acked, and come again to the next start. */
  async stop(): Promise<void> {
    this.stopping = true;
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((sub) => sub.kept?.stop()));
  }

  private subscribe(key: string, workflow: string, index: number, trigger: Trigger): void {
    const what = `message trigger of ${workflow}`;
    let to;
    try {
      to = subscriptionOf(trigger, this.host.namespace, workflow, process.env);
    } catch (err) {
      this.host.log(`${what}: its url could not be read: ${(err as Error).message}`);
      this.running.set(key, { key, workflow, index, trigger, broker: '', consumer: '', state: { connected: false, problem: `its url could not be read: ${(err as Error).message}`, code: 'BROKER_URL' } });
      return;
    }
    const where = to.subject ?? to.queue ?? to.topic ?? '';
    const sub: Running = { key, workflow, index, trigger, broker: redactUrl(to.url), consumer: to.consumer, state: { connected: false } };
    this.running.set(key, sub);
    // A URL from the environment says its broker only now: the fields must be that broker's.
    const fieldsOf = kindOfFields(trigger.config as Record<string, unknown>);
    if (to.kind !== undefined && fieldsOf !== undefined && fieldsOf !== to.kind) {
      const problem = `its url (${sub.broker}) names a ${to.kind} broker, and the trigger has ${DESTINATION_FIELDS[fieldsOf].filter((k) => (trigger.config as Record<string, unknown>)[k] !== undefined).join(', ')}, which are for ${fieldsOf}`;
      sub.state = { connected: false, problem, code: 'BROKER_URL' };
      this.host.log(`${what}: ${problem}`);
      return;
    }
    sub.kept = keepSubscribed(to, {
      onMessage: (m) => this.received(sub, m),
      onState: (state) => {
        sub.state = state;
        if (state.connected) this.host.log(`${what}: subscribed to ${where} on ${sub.broker} (consumer ${sub.consumer})`);
        else this.host.log(`${what}: ${state.problem} [${state.code}]${state.retry_at ? `; trying again in ${Math.round((state.retry_at - Date.now()) / 1000)}s` : ''}`);
      },
    });
  }

  /** One message: recorded (and its run started) or refused; resolving is what acks it. */
  private async received(sub: Running, m: Incoming): Promise<void> {
    // Stopping: not acked, so the next start gets it.
    if (this.stopping) throw new Error('the server is stopping');
    await testHook('received', m, this.host);
    const reading = readMessage(sub.trigger, m, new Date());
    if ('refused' in reading) {
      const recorded = await this.host.store.triggers.recordFiring({
        namespace: this.host.namespace,
        workflow: sub.workflow,
        trigger: 'message',
        source: reading.source,
        at: Date.now(),
        outcome: 'refused',
        reason: reading.refused.reason,
        code: reading.refused.code,
        ...(reading.delivery !== undefined ? { delivery: reading.delivery } : {}),
      });
      if ('firing' in recorded) this.host.log(`message trigger of ${sub.workflow} (${reading.source}) refused a message: ${reading.refused.reason} [${reading.refused.code}]`);
      return;
    }
    const fired = await this.hub.fire({ workflow: sub.workflow, trigger: sub.trigger, source: reading.source, data: reading.data, ...(reading.delivery !== undefined ? { delivery: reading.delivery } : {}) });
    if (!fired.started && fired.error?.code === 'SERVER_STOPPING') throw fired.error;
    await testHook('recorded', m, this.host);
  }
}

/** Holds the message forever at `point` when the test hook names it (see the top of this file). */
async function testHook(point: 'received' | 'recorded', m: Incoming, host: TriggerHost): Promise<void> {
  if (process.env[TEST_HOOK] !== point) return;
  host.log(`test hook ${TEST_HOOK}=${point}: holding the message ${m.delivery ?? m.message_id ?? ''} here until killed`);
  await new Promise<never>(() => undefined);
}
