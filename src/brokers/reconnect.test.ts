/**
 * A subscription outlives its broker going away: with a NATS server of the test's own (a
 * real nats-server with JetStream on a free loopback port, its store in a temp folder),
 * stopped and started again, the subscription says it lost the connection and when it
 * tries again, connects again by itself, and gets what is published afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keepSubscribed, publish, type Incoming, type SubscriptionState } from './index.js';
import { uniqueName } from './test-brokers.js';

const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => spawnSync(p, ['--version']).status === 0);
const store = mkdtempSync(path.join(tmpdir(), 'baton-nats-'));
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(store, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startNats(port: number): Promise<void> {
  server = spawn(NATS_SERVER!, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false)));
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nats-server did not start');
}

async function until<T>(what: string, get: () => T | undefined, ms = 20_000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
    const value = get();
    if (value !== undefined) return value;
  }
  throw new Error(`no ${what}`);
}

const describeNats = NATS_SERVER || process.env.BATON_REQUIRE_BROKERS ? describe : describe.skip;
if (!NATS_SERVER) process.stderr.write(`\n*** ${process.env.BATON_REQUIRE_BROKERS ? 'FAILING' : 'SKIPPED'}: the reconnect test needs nats-server (apt-get install nats-server) ***\n\n`);

describeNats('a subscription whose broker goes away', () => {
  it('says so, tries again with a back-off, and goes on once the broker is back', async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    await startNats(port);
    const subject = uniqueName('baton.reconnect');
    const states: SubscriptionState[] = [];
    const got: Incoming[] = [];
    const kept = keepSubscribed({ url, subject, stream: uniqueName('RECONNECT'), consumer: 'c' }, { onMessage: async (m) => void got.push(m), onState: (s) => void states.push(s) }, { minDelayMs: 200, maxDelayMs: 400 });
    try {
      await until('connection', () => states.find((s) => s.connected));
      server!.kill('SIGTERM');
      await new Promise((resolve) => server!.once('exit', resolve));
      const lost = await until('lost connection', () => states.find((s) => !s.connected));
      expect(lost).toMatchObject({ code: 'BROKER_UNREACHABLE', retry_at: expect.any(Number) });
      // Tried again while it was down, each try said.
      await until('a second failed try', () => (states.filter((s) => !s.connected).length >= 2 ? true : undefined));
      await startNats(port);
      const connectedAgain = states.length;
      await until('reconnection', () => states.slice(connectedAgain).find((s) => s.connected));
      const receipt = await publish({ url, subject, body: Buffer.from('after'), headers: {}, message_id: 'after-1' });
      expect(receipt.sequence).toBe(1);
      expect((await until('message', () => got[0])).body.toString()).toBe('after');
    } finally {
      await kept.stop();
    }
  }, 40_000);
});
