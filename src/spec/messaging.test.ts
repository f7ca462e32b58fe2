/**
 * The publish task and the message trigger in a workflow file: what a valid one reads as,
 * and the problems of a wrong one, each at its place with what to do.
 */
import { describe, expect, test } from 'vitest';
import { check, codes, only, valid, where, yaml } from './test-support.js';

describe('publish task', () => {
  test('one to each broker reads as written; the defaults are absent', () => {
    const workflow = valid(check(yaml`
      name: notify
      tasks:
        - id: nats
          type: publish
          url: nats://127.0.0.1:4222
          subject: orders.created
          body: { order: 42 }
          headers: { x-kind: order }
        - id: amqp
          type: publish
          url: "\${ env.AMQP_URL }"
          exchange: events
          routing_key: orders.created
          body: plain text
          persistent: false
          message_id: "order-\${ inputs.n }"
        - id: mqtt
          type: publish
          url: mqtt://127.0.0.1:1883
          topic: sensors/room1/alarm
          qos: 2
          retain: true
      inputs:
        n: { type: number, default: 1 }
    `));
    expect(workflow.tasks[0]).toMatchObject({ type: 'publish', url: 'nats://127.0.0.1:4222', subject: 'orders.created', body: { order: 42 }, headers: { 'x-kind': 'order' } });
    expect(workflow.tasks[0]).not.toHaveProperty('message_id');
    expect(workflow.tasks[1]).toMatchObject({ exchange: 'events', routing_key: 'orders.created', body: 'plain text', persistent: false, message_id: 'order-${ inputs.n }' });
    expect(workflow.tasks[2]).toMatchObject({ topic: 'sensors/room1/alarm', qos: 2, retain: true });
  });

  test('a URL that is no broker, a missing destination, and fields of another broker', () => {
    const result = check(yaml`
      name: bad
      tasks:
        - id: a
          type: publish
          url: https://example.com
          subject: x
        - id: b
          type: publish
          url: nats://127.0.0.1:4222
        - id: c
          type: publish
          url: mqtt://127.0.0.1:1883
          topic: a/b
          routing_key: x
        - id: d
          type: publish
          subject: x
    `);
    expect(where(only(result, 'SPEC_INVALID_VALUE'))).toBe("5:10 'https://example.com' is not a broker URL");
    const missing = result.diagnostics.filter((d) => d.code === 'SPEC_MISSING_FIELD').map(where);
    expect(missing).toEqual(['7:5 a publish task to NATS needs `subject`', '15:5 a publish task needs `url`']);
    expect(where(only(result, 'SPEC_FIELD_NOT_ALLOWED'))).toBe('14:5 `routing_key` is for AMQP, and this task publishes to MQTT (its url says so)');
  });

  test('a wildcard in a topic, a qos that is none, a header with a line break, a password never repeated', () => {
    const result = check(yaml`
      name: bad
      tasks:
        - id: a
          type: publish
          url: mqtt://127.0.0.1:1883
          topic: sensors/+/alarm
          qos: 3
          headers: { x: "one\\ntwo" }
        - id: b
          type: publish
          url: ftp://user:hunter2@host
          topic: t
    `);
    expect(codes(result)).toContain('SPEC_INVALID_VALUE');
    const messages = result.diagnostics.map((d) => d.message).join('\n');
    expect(messages).toContain('holds a wildcard');
    expect(messages).toContain('line break');
    expect(messages).toContain("'ftp://***@host' is not a broker URL");
    expect(messages).not.toContain('hunter2');
    // qos 3 is refused by the schema (0, 1 or 2).
    expect(result.diagnostics.some((d) => d.path === 'tasks[0].qos')).toBe(true);
  });

  test('the fields of a publish task do not fit on another task type', () => {
    const d = only(check(yaml`
      name: bad
      tasks:
        - id: a
          command: echo
          topic: x
    `), 'SPEC_FIELD_NOT_ALLOWED');
    expect(d.message).toBe("field 'topic' does not apply to a shell task (it is for publish tasks)");
  });
});

describe('message trigger', () => {
  test('one per broker reads as written', () => {
    const workflow = valid(check(yaml`
      name: on-orders
      triggers:
        - type: message
          config: { url: nats://127.0.0.1:4222, subject: orders.>, stream: ORDERS, format: json, filter: "trigger.message.body.total > 10", inputs: { id: "\${ trigger.message.body.id }" } }
        - type: message
          config: { url: "\${ env.AMQP_URL }", queue: orders, exchange: events, routing_key: "orders.#", prefetch: 4 }
        - type: message
          config: { url: mqtt://127.0.0.1:1883, topic: "sensors/+/alarm", consumer: alarms-1 }
      tasks:
        - id: a
          command: echo "\${ trigger.message.id }"
    `));
    expect(workflow.triggers!.map((t) => t.config)).toEqual([
      { url: 'nats://127.0.0.1:4222', subject: 'orders.>', stream: 'ORDERS', format: 'json', filter: 'trigger.message.body.total > 10', inputs: { id: '${ trigger.message.body.id }' } },
      { url: '${ env.AMQP_URL }', queue: 'orders', exchange: 'events', routing_key: 'orders.#', prefetch: 4 },
      { url: 'mqtt://127.0.0.1:1883', topic: 'sensors/+/alarm', consumer: 'alarms-1' },
    ]);
  });

  test('no url, a url reading another context than env, fields of another broker, a bad topic filter and consumer', () => {
    const result = check(yaml`
      name: bad
      triggers:
        - type: message
          config: { subject: x }
        - type: message
          config: { url: "\${ inputs.url }", queue: q }
        - type: message
          config: { url: amqp://127.0.0.1, queue: q, topic: t }
        - type: message
          config: { url: mqtt://127.0.0.1, topic: "a/#/b", consumer: "no spaces" }
        - type: message
          config: { url: nats://127.0.0.1 }
      tasks:
        - id: a
          type: noop
    `);
    const all = result.diagnostics.map((d) => `${d.code} ${where(d)}`);
    expect(all).toEqual(expect.arrayContaining([
      expect.stringMatching(/^SPEC_MISSING_FIELD 3:5 a message trigger needs `config.url`/),
      expect.stringMatching(/^SPEC_CONTEXT_UNAVAILABLE 6:\d+ a message trigger's url can read only `env`/),
      expect.stringMatching(/^SPEC_FIELD_NOT_ALLOWED 8:\d+ `topic` is for MQTT, and this trigger reads from AMQP/),
      expect.stringMatching(/^SPEC_INVALID_VALUE 10:\d+ 'a\/#\/b' is not an MQTT topic filter/),
      expect.stringMatching(/^SPEC_INVALID_VALUE 10:\d+ 'no spaces' is not a consumer name/),
      expect.stringMatching(/^SPEC_MISSING_FIELD 11:5 a message trigger on NATS needs `config.subject`/),
    ]));
  });

  test('trigger.message is known to validate; a field of trigger it does not have is not', () => {
    const result = check(yaml`
      name: t
      tasks:
        - id: a
          command: echo "\${ trigger.message.body } \${ trigger.messages }"
    `);
    expect(only(result, 'SPEC_UNKNOWN_PROPERTY').message).toContain('messages');
  });
});
