import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { HeraldApiError, Herald } from '@herald/client';
import { ValidationError } from '@herald/core';
import {
  TEST_REDIS_URL,
  startProcess,
  startReceiver,
  waitUntil,
  type Receiver,
  type RunningProcess,
} from '@herald/testkit';
import { auth, startApiFixture, type ApiFixture } from './api-fixture.js';

// The admin app listening on loopback, a real worker process on the same
// database and queue prefix, and a receiver that verifies like customers do.
describe('API end to end, with a worker process', () => {
  let f: ApiFixture;
  let worker: RunningProcess;
  let receiver: Receiver;
  let server: Server;
  let apiUrl: string;

  beforeAll(async () => {
    f = await startApiFixture({ settings: { apiMaxBodyBytes: 100 * 1024 } });
    receiver = await startReceiver();
    server = createServer(f.http);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    worker = startProcess('apps/worker/src/main.ts', {
      env: {
        DATABASE_URL: f.t.url,
        REDIS_URL: TEST_REDIS_URL,
        ...f.queue.env,
        HERALD_SECRET_KEY: f.secretKey.toString('base64'),
        HERALD_WORKER_PORT: '0',
        HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
        HERALD_RETRY_SCHEDULE: '1s,1s,1s',
      },
    });
    await worker.waitFor(/worker started/);
  });
  afterAll(async () => {
    await worker?.stop('SIGTERM');
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await receiver.close();
    await f.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  async function addWebhook(): Promise<{ id: string; secret: string }> {
    const res = await request(f.http)
      .post('/api/v1/webhooks')
      .set(...auth(f.key))
      .send({ url: `${receiver.url}/hook`, events: ['auth.*', 'user.*'] })
      .expect(201);
    return { id: res.body.id, secret: res.body.secret };
  }

  test('when an event is published over HTTP, it is delivered, verifies with standardwebhooks, and GET /events/:id shows the attempt', async () => {
    const { id: webhookId, secret } = await addWebhook();
    const data = { ip: '203.0.113.7', user: 'Zoë 🚀' };
    const { body } = await request(f.http)
      .post('/api/v1/events')
      .set(...auth(f.key))
      .send({ type: 'auth.login.failed', data })
      .expect(202);
    const [delivered] = await receiver.waitForRequests(1);
    const payload = new StandardWebhook(secret).verify(delivered!.body, delivered!.headers) as Record<
      string,
      unknown
    >;
    expect(payload).toEqual({ type: 'auth.login.failed', timestamp: expect.any(String), data });
    expect(delivered!.headers['webhook-id']).toBe(body.id);

    let event: request.Response | undefined;
    await waitUntil(async () => {
      event = await request(f.http)
        .get(`/api/v1/events/${body.id}`)
        .set(...auth(f.key));
      return event.body.deliveries?.[0]?.status === 'succeeded';
    });
    expect(event!.body).toMatchObject({ id: body.id, status: 'recorded', data });
    expect(event!.body.deliveries[0]).toMatchObject({
      webhookId,
      attemptCount: 1,
      attempts: [{ attempt: 1, outcome: 'success', statusCode: 204 }],
    });
    await request(f.http)
      .delete(`/api/v1/webhooks/${webhookId}`)
      .set(...auth(f.key))
      .expect(204);
  });

  test('when the client runs in HTTP mode, publish, idempotency and batches go through the API and get delivered', async () => {
    const { id: webhookId, secret } = await addWebhook();
    const client = new Herald({ apiUrl, apiKey: f.key });
    try {
      const first = await client.publish({
        type: 'user.registered',
        data: { n: 1 },
        idempotencyKey: 'reg-1',
      });
      const again = await client.publish({
        type: 'user.registered',
        data: { n: 1 },
        idempotencyKey: 'reg-1',
      });
      expect(again.id).toBe(first.id);
      const batch = await client.publishBatch([
        { type: 'user.registered', data: { n: 2 } },
        { type: 'user.registered', data: { n: 3 } },
      ]);
      expect(batch.ids).toHaveLength(2);
      const received = await receiver.waitForRequests(3);
      const ids = received.map((r) => {
        new StandardWebhook(secret).verify(r.body, r.headers);
        return r.headers['webhook-id'];
      });
      expect(ids.sort()).toEqual([first.id, ...batch.ids].sort());
    } finally {
      await client.close();
      await request(f.http)
        .delete(`/api/v1/webhooks/${webhookId}`)
        .set(...auth(f.key))
        .expect(204);
    }
  });

  test('when the client in HTTP mode gets app, a bad key, a bad event or a too large body, it throws a clear error', async () => {
    const client = new Herald({ apiUrl, apiKey: f.key });
    const before = await f.publishedIds();
    await expect(client.publish({ app: f.appId, type: 't', data: {} })).rejects.toThrow(
      expect.objectContaining({
        name: 'ValidationError',
        issues: [expect.objectContaining({ field: 'app' })],
      }) as Error,
    );
    await expect(client.publish({ type: 'bad type', data: {} })).rejects.toBeInstanceOf(ValidationError);
    const tooLarge = await client
      .publish({ type: 't', data: { s: 'x'.repeat(150 * 1024) } })
      .catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(HeraldApiError);
    expect(tooLarge).toMatchObject({ status: 413, code: 'payload_too_large' });
    const denied = await new Herald({ apiUrl, apiKey: 'hk_wrongwrongwrongwrong' })
      .publish({ type: 't', data: {} })
      .catch((e: unknown) => e);
    expect(denied).toMatchObject({ name: 'HeraldApiError', status: 401, code: 'unauthorized' });
    expect(await f.publishedIds()).toEqual(before);
    expect(() => new Herald({ apiUrl: 'not a url', apiKey: 'x' })).toThrow(TypeError);
    expect(() => new Herald({ apiUrl, apiKey: f.key, redisUrl: TEST_REDIS_URL })).toThrow(/not both/);
  });

  test('when the client in HTTP mode publishes more than 1,000 events, they go in requests of 1,000, ids in order', async () => {
    const { key } = await f.newKey('ingest');
    const client = new Herald({ apiUrl, apiKey: key });
    const { ids } = await client.publishBatch(
      Array.from({ length: 1500 }, (_, i) => ({ type: 'bulk.item', data: { i } })),
    );
    expect(ids).toHaveLength(1500);
    expect(new Set(ids).size).toBe(1500);
    const recorded = async () =>
      f.t.db.selectFrom('events').select(['id', 'payload']).where('type', '=', 'bulk.item').execute();
    await waitUntil(async () => (await recorded()).length === 1500, { timeoutMs: 20_000 });
    for (const row of await recorded()) {
      expect(ids.indexOf(row.id)).toBe((row.payload as { i: number }).i);
    }
  });

  test('when a delivery is retried while its attempt is in flight, the API answers 409 and the attempt’s outcome stands', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = await startReceiver(async (_req, res) => {
      await held;
      res.writeHead(200).end();
    });
    try {
      // A rate limit keeps the first attempt in a delivery job (no inline attempt from the fan-out).
      await request(f.http)
        .post('/api/v1/webhooks')
        .set(...auth(f.key))
        .send({ url: slow.url, events: ['license.redeem'], rateLimitPerSecond: 10 })
        .expect(201);
      await request(f.http)
        .post('/api/v1/events')
        .set(...auth(f.key))
        .send({ type: 'license.redeem', data: {} })
        .expect(202);
      const [req] = await slow.waitForRequests(1);
      const deliveryId = req!.headers['herald-delivery-id']!;
      const { body } = await request(f.http)
        .post(`/api/v1/deliveries/${deliveryId}/retry`)
        .set(...auth(f.key))
        .expect(409);
      expect(body.error).toEqual({
        code: 'conflict',
        message: 'an attempt of this delivery is in flight; retry it once that attempt has ended',
      });
      release();
      await waitUntil(
        async () =>
          (
            await f.t.db
              .selectFrom('deliveries')
              .select('status')
              .where('id', '=', deliveryId)
              .executeTakeFirst()
          )?.status === 'succeeded',
        { what: 'the delivery to succeed' },
      );
      // Once it has ended, a retry is taken.
      await request(f.http)
        .post(`/api/v1/deliveries/${deliveryId}/retry`)
        .set(...auth(f.key))
        .expect(202);
      await slow.waitForRequests(2);
    } finally {
      release();
      await slow.close();
    }
  });
});
