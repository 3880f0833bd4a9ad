import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Herald } from '@herald/client';
import {
  createApp,
  createEngine,
  createSharedState,
  createWebhook,
  CLI_ACTOR,
  type Engine,
} from '@herald/engine';
import { createKeyring, sign } from '@herald/signing';
import {
  createTestDatabase,
  createTestQueue,
  startProcess,
  waitUntil,
  type RunningProcess,
  type TestDatabase,
  type TestQueue,
} from '@herald/testkit';
import { createReceiver, type Receiver } from './receiver.js';

describe('example receiver against a real Herald worker', () => {
  const key = randomBytes(32);
  let queue: TestQueue;
  let t: TestDatabase;
  let engine: Engine;
  let worker: RunningProcess;
  let server: Server;
  let receiver: Receiver;
  let client: Herald;
  let appId: string;
  let url: string;
  let secret: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    queue = createTestQueue(t.url);
    engine = createEngine({
      db: t.db,
      queue: queue.backend,
      shared: createSharedState(queue),
      keyring: createKeyring(key, []),
      allowPrivateNetworks: true,
    });
    client = new Herald({ queueBackend: queue.backend });
    appId = (await createApp(t.db, CLI_ACTOR, { name: 'AuthVaultix' })).id;
    // The signing secret exists only once the webhook (which needs the URL) does,
    // so the server delegates to whichever receiver is current.
    server = createServer((req, res) => void receiver.app(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/herald`;
    secret = (await createWebhook(engine, CLI_ACTOR, appId, { url, events: ['auth.*'] })).secret;
    receiver = createReceiver({ secret, failedLoginThreshold: 5 });
    worker = startProcess('apps/worker/src/main.ts', {
      env: {
        DATABASE_URL: t.url,
        ...queue.env,
        HERALD_SECRET_KEY: key.toString('base64'),
        HERALD_WORKER_PORT: '0',
        HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
    await worker.waitFor(/worker started/);
  });

  afterAll(async () => {
    await worker.stop('SIGTERM');
    await client.close();
    await engine.close();
    await new Promise((r) => server.close(r));
    await queue.close();
    await t.drop();
  });

  test('when one IP fails to log in five times, the receiver blacklists it; another IP with fewer failures is not', async () => {
    const events = [
      ...Array.from({ length: 5 }, (_, n) => ({
        app: appId,
        type: 'auth.login.failed',
        data: { ip: '203.0.113.9', n },
      })),
      ...Array.from({ length: 2 }, (_, n) => ({
        app: appId,
        type: 'auth.login.failed',
        data: { ip: '198.51.100.4', n },
      })),
      { app: appId, type: 'auth.login.success', data: { ip: '198.51.100.4' } },
    ];
    await client.publishBatch(events);
    await waitUntil(() => receiver.handled.length >= 8, { what: 'eight verified deliveries' });
    expect([...receiver.blacklist]).toEqual(['203.0.113.9']);
    const res = await fetch(url.replace('/webhooks/herald', '/blacklist'));
    expect(await res.json()).toEqual({ blacklist: ['203.0.113.9'] });
  });

  test('when a request is forged or replayed, the receiver refuses or ignores it', async () => {
    const body = JSON.stringify({
      type: 'auth.login.failed',
      timestamp: new Date().toISOString(),
      data: { ip: '192.0.2.1' },
    });
    const ts = Math.floor(Date.now() / 1000);
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(ts),
        'webhook-signature': sign(randomBytes(32), 'msg_forged', ts, body),
      },
      body,
    });
    expect(forged.status).toBe(401);
    const secretBytes = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const headers = {
      'content-type': 'application/json',
      'webhook-id': 'msg_once',
      'webhook-timestamp': String(ts),
      'webhook-signature': sign(secretBytes, 'msg_once', ts, body),
    };
    expect((await fetch(url, { method: 'POST', headers, body })).status).toBe(204);
    const again = await fetch(url, { method: 'POST', headers, body });
    expect(await again.json()).toEqual({ duplicate: true });
    expect(receiver.handled.filter((e) => e.id === 'msg_once')).toHaveLength(1);
  });
});
