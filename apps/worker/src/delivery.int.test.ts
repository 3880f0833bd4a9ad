import { Webhook as StandardWebhook } from 'standardwebhooks';
import {
  PAYLOAD_PRUNED_ERROR,
  reconcileDeliveries,
  deleteAllWebhooks,
  deleteWebhook,
  listDeliveries,
  replayWebhook,
  retryDelivery,
  rotateWebhookSecret,
  setWebhookState,
  CLI_ACTOR,
  createSharedState,
} from '@herald/engine';
import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { newId } from '@herald/core';
import { createDb } from '@herald/db';
import { eventJobOptions, type EventJobData } from '@herald/queue';
import {
  TEST_POSTGRES_URL,
  TEST_QUEUE_BACKEND,
  TEST_REDIS_URL,
  deleteKeysWithPrefix,
  uniquePrefix,
  startReceiver,
  startTcpProxy,
  sleep,
  waitUntil,
  type ReceivedRequest,
  type Receiver,
  type ReceiverHandler,
} from '@herald/testkit';
import { startHarness, type Harness } from './testing/harness.js';

function verify(secret: string, req: ReceivedRequest): unknown {
  return new StandardWebhook(secret).verify(req.body, req.headers);
}

async function deliveryRows(h: Harness, webhookId: string) {
  return h.t.db.selectFrom('deliveries').selectAll().where('webhook_id', '=', webhookId).execute();
}

async function attemptsOf(h: Harness, deliveryId: string) {
  return h.t.db
    .selectFrom('delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .execute();
}

async function waitForStatus(h: Harness, webhookId: string, status: string, count = 1) {
  return waitUntil(
    async () => {
      const rows = await deliveryRows(h, webhookId);
      return rows.filter((r) => r.status === status).length >= count ? rows : undefined;
    },
    { what: `${count} ${status} deliveries`, timeoutMs: 20_000 },
  );
}

describe('delivery engine', () => {
  let h: Harness;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };

  /** A delivery held because its webhook is paused: a row and no job, for the reconciler's tests to shape. */
  async function heldDelivery() {
    const r = await receiver();
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'paused');
    const { id: eventId } = await h.client.publish({ app: h.appId, type: 'user.register', data: {} });
    const [held] = await waitForStatus(h, webhookId, 'held');
    return { r, webhookId, eventId, held: held! };
  }

  /** As after a crash between commit and enqueue: pending, overdue, with no job. */
  async function makeOverduePending(deliveryId: string): Promise<void> {
    await h.t.db
      .updateTable('deliveries')
      .set({ status: 'pending', next_attempt_at: new Date(Date.now() - 600_000) })
      .where('id', '=', deliveryId)
      .execute();
  }

  beforeAll(async () => {
    h = await startHarness();
  });
  // Each test's webhooks go away after it, so later events reach only the next test's.
  afterEach(async () => {
    await deleteAllWebhooks(h.engine, CLI_ACTOR, h.appId);
  });
  afterAll(async () => {
    await h.close();
    await Promise.all(receivers.map((r) => r.close()));
  });

  test('when an event is published, the receiver gets one signed Standard Webhooks request and the delivery succeeds', async () => {
    const r = await receiver();
    const { id: webhookId, secret } = await h.addWebhook({ url: `${r.url}/hook` });
    const { id } = await h.client.publish({
      app: h.appId,
      type: 'user.register',
      data: { user: 'u1', plan: 'pro' },
    });
    const [req] = await r.waitForRequests(1);
    expect(req!.method).toBe('POST');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['user-agent']).toMatch(/^Herald-Webhooks\//);
    expect(req!.headers['webhook-id']).toBe(id);
    expect(req!.headers['herald-attempt']).toBe('1');
    expect(req!.headers['herald-delivery-id']).toMatch(/^dlv_/);
    expect(Math.abs(Number(req!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(10);
    expect(verify(secret, req!)).toEqual({
      type: 'user.register',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { user: 'u1', plan: 'pro' },
    });
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    expect(row).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 204, event_id: id });
    const attempts = await attemptsOf(h, row!.id);
    expect(attempts).toMatchObject([{ attempt: 1, outcome: 'success', status_code: 204 }]);
  });

  test('when the endpoint returns 500 then 200, the retry carries the same webhook-id, a fresh timestamp and a valid signature', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(500).end('oops');
      else res.writeHead(200).end('ok');
    });
    const { id: webhookId, secret } = await h.addWebhook({ url: r.url });
    const { id } = await h.client.publish({ app: h.appId, type: 'payment.success', data: { amount: 5 } });
    const [first, second] = await r.waitForRequests(2);
    expect(first!.headers['webhook-id']).toBe(id);
    expect(second!.headers['webhook-id']).toBe(id);
    expect(second!.headers['herald-attempt']).toBe('2');
    expect(second!.headers['herald-delivery-id']).toBe(first!.headers['herald-delivery-id']);
    expect(second!.body).toBe(first!.body);
    expect(() => verify(secret, first!)).not.toThrow();
    expect(() => verify(secret, second!)).not.toThrow();
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(150);
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    const attempts = await attemptsOf(h, row!.id);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.status_code, a.response_snippet])).toEqual([
      [1, 'http_error', 500, 'oops'],
      [2, 'success', 200, 'ok'],
    ]);
  });

  test('when the endpoint answers 429 with Retry-After, the retry waits at least that long', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(204).end();
    });
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'auth.login.failed', data: { ip: '203.0.113.9' } });
    const [first, second] = await r.waitForRequests(2);
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(950);
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    expect((await attemptsOf(h, row!.id)).map((a) => a.status_code)).toEqual([429, 204]);
  });

  test('when the endpoint keeps answering 429, those answers do not use up the retry schedule', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => {
      calls++;
      if (calls <= 5) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.writeHead(200).end();
    });
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'auth.login.failed', data: {} });
    // The schedule allows 4 attempts; five 429s and a 200 still end in success.
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    expect(r.requests.map((q) => q.headers['herald-attempt'])).toEqual(['1', '2', '3', '4', '5', '6']);
    expect((await attemptsOf(h, row!.id)).map((a) => a.status_code)).toEqual([429, 429, 429, 429, 429, 200]);
    expect(row!.attempts).toBe(6);
  });

  test('when a delivery that got 429s is held and released, the 429s still do not count against its schedule', async () => {
    let calls = 0;
    let webhookId = '';
    const r = await receiver(async (_req, res) => {
      calls++;
      if (calls === 3) {
        // Paused while the third 429 is on its way: its retry is held, then released on resume.
        await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'paused');
        await sleep(200);
      }
      if (calls <= 3) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.writeHead(500).end();
    });
    webhookId = (await h.addWebhook({ url: r.url })).id;
    await h.client.publish({ app: h.appId, type: 'auth.login.failed', data: {} });
    await waitForStatus(h, webhookId, 'held');
    await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'enabled');
    const [row] = await waitForStatus(h, webhookId, 'dead');
    // The whole schedule (4 attempts) after the three 429s, numbered on from them.
    expect((await attemptsOf(h, row!.id)).map((a) => a.status_code)).toEqual([
      429, 429, 429, 500, 500, 500, 500,
    ]);
    expect(r.requests.map((q) => q.headers['herald-attempt'])).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  test('when a replayed delivery is held and released, it continues its new schedule, not its first one', async () => {
    let calls = 0;
    let webhookId = '';
    const r = await receiver(async (_req, res) => {
      calls++;
      if (calls === 5) {
        // The replay's first attempt: paused while it fails, so its retry is held, then released.
        await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'paused');
        await sleep(200);
      }
      res.writeHead(500).end();
    });
    webhookId = (await h.addWebhook({ url: r.url })).id;
    await h.client.publish({ app: h.appId, type: 'auth.login.failed', data: {} });
    await waitForStatus(h, webhookId, 'dead');
    expect(calls).toBe(4);
    await replayWebhook(h.engine, CLI_ACTOR, h.appId, webhookId, {
      since: new Date(Date.now() - 60_000),
      status: 'dead',
    });
    await waitForStatus(h, webhookId, 'held');
    await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'enabled');
    const [row] = await waitForStatus(h, webhookId, 'dead');
    // The replay's whole schedule (4 attempts), after the first four.
    expect(row!.attempts).toBe(8);
    expect(r.requests.map((q) => q.headers['herald-attempt'])).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
    ]);
  });

  /** Headers at once, then a byte every 200 ms for 4 s: neither the headers nor the body timeout (each 1.5 s) fires. */
  const trickle: ReceiverHandler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const drip = setInterval(() => res.write('.'), 200);
    setTimeout(() => {
      clearInterval(drip);
      res.end();
    }, 4_000);
  };

  test.each<[string, string, ReceiverHandler]>([
    ['hangs past the timeout', 'hwid.mismatch', () => undefined],
    ['answers at once but trickles its body past the timeout', 'hwid.drip', trickle],
  ])(
    'when the endpoint %s, the attempt is recorded as a timeout at the timeout and retried',
    async (_what, type, firstAnswer) => {
      let calls = 0;
      const r = await receiver((req, res, raw) => {
        calls++;
        if (calls > 1) res.writeHead(200).end();
        else return firstAnswer(req, res, raw);
      });
      const { id: webhookId } = await h.addWebhook({ url: r.url });
      await h.client.publish({ app: h.appId, type, data: {} });
      const [row] = await waitForStatus(h, webhookId, 'succeeded');
      const attempts = await attemptsOf(h, row!.id);
      expect(attempts.map((a) => a.outcome)).toEqual(['timeout', 'success']);
      expect(attempts[0]!.duration_ms).toBeGreaterThanOrEqual(1_400);
      expect(attempts[0]!.duration_ms).toBeLessThan(3_000);
    },
  );

  test('when the connection is reset, the attempt is a network error and is retried', async () => {
    let calls = 0;
    const r = await receiver((_req, res, raw) => {
      calls++;
      if (calls === 1) raw.socket.destroy();
      else res.writeHead(200).end();
    });
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'hwid.reset', data: {} });
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    const attempts = await attemptsOf(h, row!.id);
    expect(attempts.map((a) => a.outcome)).toEqual(['network_error', 'success']);
    expect(attempts[0]!.error).toBeTruthy();
  });

  test('when the endpoint redirects with 302, the redirect is not followed and the attempt fails', async () => {
    const target = await receiver();
    const r = await receiver(
      (_req, res) => void res.writeHead(302, { location: `${target.url}/elsewhere` }).end(),
    );
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'license.redeem', data: {} });
    await waitForStatus(h, webhookId, 'dead');
    expect(r.requests).toHaveLength(4);
    expect(target.requests).toHaveLength(0);
  });

  test('when the endpoint answers 410 Gone, the delivery is dead and the webhook disabled with the reason', async () => {
    const r = await receiver((_req, res) => void res.writeHead(410).end());
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'license.expired', data: {} });
    await waitForStatus(h, webhookId, 'dead');
    const webhook = await h.t.db
      .selectFrom('webhooks')
      .selectAll()
      .where('id', '=', webhookId)
      .executeTakeFirstOrThrow();
    expect(webhook.state).toBe('disabled');
    expect(webhook.disabled_reason).toBe('endpoint answered 410 Gone');
    expect(r.requests).toHaveLength(1);
  });

  test('when the endpoint answers with a 10 MB body, the attempt succeeds and only 4 KiB is stored', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'a');
    const r = await receiver((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(big);
    });
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'payment.failed', data: {} });
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    const [attempt] = await attemptsOf(h, row!.id);
    expect(attempt!.response_snippet).toHaveLength(4096);
  });

  test('when the endpoint answers a status outside 100–599, the attempt is a recorded failure and is retried', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(999).end('odd');
      else res.writeHead(200).end('ok');
    });
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'user.login', data: {} });
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    const attempts = await attemptsOf(h, row!.id);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.status_code, a.error])).toEqual([
      [1, 'http_error', null, 'endpoint answered invalid status 999'],
      [2, 'success', 200, null],
    ]);
  });

  test('when the delivery row goes while its attempt is in flight (its event pruned), nothing is recorded and it is not sent again', async () => {
    let calls = 0;
    let eventId = '';
    const r = await receiver(async (_req, res) => {
      calls++;
      // The second attempt (a queued retry job) finds its event pruned mid-request.
      if (calls === 2) await h.t.db.deleteFrom('events').where('id', '=', eventId).execute();
      res.writeHead(500).end('down');
    });
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    ({ id: eventId } = await h.client.publish({ app: h.appId, type: 'user.ban', data: {} }));
    const [, second] = await r.waitForRequests(2);
    const deliveryId = second!.headers['herald-delivery-id']!;
    await waitUntil(
      async () => (await h.engine.queues.deliveries.getJobState(deliveryId)) === 'unknown' || undefined,
      { what: 'the delivery job to end', timeoutMs: 4_000 },
    );
    await sleep(600); // three retry delays of this harness's schedule
    expect(r.requests).toHaveLength(2);
    expect(await deliveryRows(h, webhookId)).toEqual([]);
  });

  test('when a webhook fails past its schedule it ends dead; after the endpoint is fixed, replay delivers it', async () => {
    let healthy = false;
    const r = await receiver((_req, res) => void res.writeHead(healthy ? 200 : 503).end());
    const { id: webhookId, secret } = await h.addWebhook({ url: r.url });
    const since = new Date(Date.now() - 1000);
    const { id } = await h.client.publish({
      app: h.appId,
      type: 'blacklist.added',
      data: { ip: '198.51.100.7' },
    });
    const [dead] = await waitForStatus(h, webhookId, 'dead');
    expect(dead!.attempts).toBe(4);
    expect(r.requests).toHaveLength(4);
    healthy = true;
    const replay = await replayWebhook(h.engine, CLI_ACTOR, h.appId, webhookId, { since, status: 'dead' });
    expect(replay).toMatchObject({ count: 1, replayId: expect.stringMatching(/^rpl_/) });
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    const last = r.requests[r.requests.length - 1]!;
    expect(last.headers['webhook-id']).toBe(id);
    expect(last.headers['herald-attempt']).toBe('5');
    expect(() => verify(secret, last)).not.toThrow();
    expect(row!.attempts).toBe(5);
  });

  test('when a single delivery is retried by hand, it is sent again with the same webhook-id', async () => {
    const r = await receiver();
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    const { id } = await h.client.publish({ app: h.appId, type: 'whitelist.added', data: {} });
    const [row] = await waitForStatus(h, webhookId, 'succeeded');
    await retryDelivery(h.engine, CLI_ACTOR, h.appId, row!.id);
    const [, again] = await r.waitForRequests(2);
    expect(again!.headers['webhook-id']).toBe(id);
    expect(again!.headers['herald-attempt']).toBe('2');
  });

  test('when a webhook is paused, its deliveries are held; when resumed, they are delivered', async () => {
    const r = await receiver();
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'paused');
    await h.client.publishBatch([
      { app: h.appId, type: 'user.register', data: { n: 1 } },
      { app: h.appId, type: 'user.register', data: { n: 2 } },
    ]);
    await waitForStatus(h, webhookId, 'held', 2);
    expect(r.requests).toHaveLength(0);
    const { released } = await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'enabled');
    expect(released).toBe(2);
    await r.waitForRequests(2);
    await waitForStatus(h, webhookId, 'succeeded', 2);
  });

  test('when a webhook is deleted, its waiting deliveries are cancelled and nothing more is sent', async () => {
    const r = await receiver((_req, res) => void res.writeHead(500).end());
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publish({ app: h.appId, type: 'user.register', data: {} });
    await r.waitForRequests(1);
    await deleteWebhook(h.engine, CLI_ACTOR, h.appId, webhookId);
    await waitForStatus(h, webhookId, 'cancelled');
    await sleep(600);
    const rows = await deliveryRows(h, webhookId);
    expect(rows.map((x) => x.status)).toEqual(['cancelled']);
    expect(r.requests.length).toBeLessThanOrEqual(2);
  });

  test('when an event is published twice with one idempotency key, it is delivered once and both publishes return its id', async () => {
    const r = await receiver();
    const { id: webhookId } = await h.addWebhook({ url: r.url, events: ['payment.*'] });
    const a = await h.client.publish({
      app: h.appId,
      type: 'payment.success',
      data: { n: 1 },
      idempotencyKey: 'order-42',
    });
    const b = await h.client.publish({
      app: h.appId,
      type: 'payment.success',
      data: { n: 2 },
      idempotencyKey: 'order-42',
    });
    expect(b.id).toBe(a.id);
    await waitForStatus(h, webhookId, 'succeeded');
    // The event's job is finished and removed; the key still holds (its TTL is 24 h).
    await waitUntil(async () => (await h.engine.queues.events.getJob(a.id)) === undefined, {
      what: 'the finished event job removed',
    });
    const [c] = (
      await h.client.publishBatch([
        { app: h.appId, type: 'payment.success', data: { n: 3 }, idempotencyKey: 'order-42' },
      ])
    ).ids;
    expect(c).toBe(a.id);
    await sleep(300);
    expect(r.requests).toHaveLength(1);
    expect(JSON.parse(r.requests[0]!.body).data).toEqual({ n: 1 });
  });

  test('when webhooks filter by event type, each receives only matching events', async () => {
    const auth = await receiver();
    const exact = await receiver();
    const all = await receiver();
    await h.addWebhook({ url: auth.url, events: ['auth.*'] });
    await h.addWebhook({ url: exact.url, events: ['license.redeem'] });
    await h.addWebhook({ url: all.url });
    await h.client.publishBatch([
      { app: h.appId, type: 'auth.login.failed', data: {} },
      { app: h.appId, type: 'license.redeem', data: {} },
      { app: h.appId, type: 'payment.success', data: {} },
    ]);
    await all.waitForRequests(3);
    await auth.waitForRequests(1);
    await exact.waitForRequests(1);
    await sleep(300);
    expect(auth.requests.map((q) => JSON.parse(q.body).type)).toEqual(['auth.login.failed']);
    expect(exact.requests.map((q) => JSON.parse(q.body).type)).toEqual(['license.redeem']);
    expect(all.requests).toHaveLength(3);
  });

  test('when the secret is rotated, both signatures are sent and each secret verifies', async () => {
    const r = await receiver();
    const { id: webhookId, secret: oldSecret } = await h.addWebhook({ url: r.url });
    const { secret: newSecret } = await rotateWebhookSecret(h.engine, CLI_ACTOR, h.appId, webhookId, {
      graceSeconds: 3600,
    });
    await h.client.publish({ app: h.appId, type: 'user.register', data: {} });
    const [req] = await r.waitForRequests(1);
    expect(req!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(() => verify(newSecret, req!)).not.toThrow();
    expect(() => verify(oldSecret, req!)).not.toThrow();
  });

  test('when custom headers and a user agent are set, they are sent but never override the signature headers', async () => {
    const r = await receiver();
    await h.addWebhook({
      url: r.url,
      userAgent: 'AcmeRelay/2',
      headers: { 'X-Relay-Token': 'abc', Authorization: 'Bearer t' },
    });
    await h.client.publish({ app: h.appId, type: 'user.register', data: {} });
    const [req] = await r.waitForRequests(1);
    expect(req!.headers['user-agent']).toBe('AcmeRelay/2');
    expect(req!.headers['x-relay-token']).toBe('abc');
    expect(req!.headers['authorization']).toBe('Bearer t');
  });

  test('when a pending delivery has lost its queue job, the reconciler re-queues and delivers it', async () => {
    const { r, webhookId, held } = await heldDelivery();
    // Simulate a crash between commit and enqueue: the row says pending, no job exists.
    await makeOverduePending(held.id);
    await h.t.db.updateTable('webhooks').set({ state: 'enabled' }).where('id', '=', webhookId).execute();
    await h.engine.shared.webhookChanges.notify(h.appId);
    await sleep(100);
    const result = await reconcileDeliveries(h.engine, { overdueMs: 60_000 });
    expect(result.requeued).toBe(1);
    await waitForStatus(h, webhookId, 'succeeded');
    expect(r.requests).toHaveLength(1);
  });

  test('when BullMQ failed a delivery job without running it (as it does for "stalled more than allowable limit"), the reconciler queues it again', async () => {
    const { r, webhookId, held } = await heldDelivery();
    // A job under the delivery's id that ends failed without an attempt, like a twice-stalled one.
    await h.engine.queues.deliveries.add('deliver', { v: 1, malformed: true }, { jobId: held.id });
    await waitUntil(async () => (await h.engine.queues.deliveries.getJobState(held.id)) === 'failed', {
      what: 'the job to fail',
    });
    await h.t.db.updateTable('deliveries').set({ status: 'pending' }).where('id', '=', held.id).execute();
    await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'enabled');
    const result = await reconcileDeliveries(h.engine, { deliveryIds: [held.id] });
    expect(result).toEqual({ checked: 1, requeued: 1, released: 0 });
    await waitForStatus(h, webhookId, 'succeeded');
    expect(r.requests).toHaveLength(1);
  });

  // The stall's mark is BullMQ's own (a deferred failure the next worker to take the job applies)
  // in its Redis layout: the Postgres backend keeps it in a column instead.
  (TEST_QUEUE_BACKEND === 'redis' ? test : test.skip)(
    'when BullMQ fails an event job as "stalled more than allowable limit", it is queued again and fanned out',
    async () => {
      const r = await receiver();
      const { id: webhookId } = await h.addWebhook({ url: r.url });
      const event: EventJobData = {
        v: 1,
        id: newId('event'),
        appId: h.appId,
        type: 'user.login',
        timestamp: new Date().toISOString(),
        data: {},
      };
      const { queue } = h;
      if (queue.kind !== 'redis') throw new Error('Redis backend only');
      const events = h.engine.queues.events;
      await events.add(event.type, event, { ...eventJobOptions(event), delay: 300 });
      // As BullMQ's stalled checker marks a job whose worker died twice mid-job.
      await queue.redis.hset(events.toKey(event.id), 'defa', 'job stalled more than allowable limit');
      const [row] = await waitForStatus(h, webhookId, 'succeeded');
      expect(row!.event_id).toBe(event.id);
      expect(r.requests.map((req) => req.headers['webhook-id'])).toEqual([event.id]);
    },
  );

  test('when a delivery finishes while the reconciler looks its job up, it is not queued again', async () => {
    const { webhookId, held } = await heldDelivery();
    await makeOverduePending(held.id);
    // Its job completes between the reconciler's read and its lookup: the
    // outcome is committed first, then BullMQ removes the finished job.
    const queue = h.engine.queues.deliveries;
    const lookup = jest.spyOn(queue, 'getJobState').mockImplementation(async (id: string) => {
      await h.t.db
        .updateTable('deliveries')
        .set({ status: 'succeeded', attempts: 1, next_attempt_at: null, updated_at: new Date() })
        .where('id', '=', id)
        .execute();
      return 'unknown';
    });
    try {
      const result = await reconcileDeliveries(h.engine, { overdueMs: 60_000 });
      expect(result).toMatchObject({ checked: 1, requeued: 0 });
    } finally {
      lookup.mockRestore();
    }
    expect(await queue.getJob(held.id)).toBeUndefined();
    expect((await deliveryRows(h, webhookId)).map((d) => d.status)).toEqual(['succeeded']);
  });

  test('when a delivery was held after its webhook was resumed (a worker that had not yet heard), the reconciler releases it', async () => {
    const { r, webhookId, held } = await heldDelivery();
    await h.t.db
      .updateTable('deliveries')
      .set({ updated_at: new Date(Date.now() - 600_000) })
      .where('id', '=', held.id)
      .execute();
    // While the webhook is paused, holding is right.
    expect((await reconcileDeliveries(h.engine, { overdueMs: 60_000 })).released).toBe(0);
    // Resumed, and the resume's own release already ran (it found nothing: this row came after it).
    await h.t.db.updateTable('webhooks').set({ state: 'enabled' }).where('id', '=', webhookId).execute();
    await h.engine.shared.webhookChanges.notify(h.appId);
    expect((await reconcileDeliveries(h.engine, { overdueMs: 60_000 })).released).toBe(1);
    await waitForStatus(h, webhookId, 'succeeded');
    expect(r.requests).toHaveLength(1);
    expect((await reconcileDeliveries(h.engine, { overdueMs: 60_000 })).released).toBe(0);
  });

  test('when retention dropped the payload, retry and replay refuse and change nothing; a lost one becomes dead instead of pending forever', async () => {
    const { r, webhookId, eventId, held } = await heldDelivery();
    await h.t.db.updateTable('deliveries').set({ status: 'dead' }).where('id', '=', held.id).execute();
    await h.t.db.updateTable('events').set({ payload: null }).where('id', '=', eventId).execute();
    await setWebhookState(h.engine, CLI_ACTOR, h.appId, webhookId, 'enabled');

    await expect(retryDelivery(h.engine, CLI_ACTOR, h.appId, held.id)).rejects.toThrow(
      'the event payload is no longer kept',
    );
    const replay = await replayWebhook(h.engine, CLI_ACTOR, h.appId, webhookId, {
      since: new Date(Date.now() - 3_600_000),
      status: 'dead',
    });
    expect(replay.count).toBe(0);
    expect((await deliveryRows(h, webhookId)).map((d) => d.status)).toEqual(['dead']);

    // Pending with its job lost: nothing to send, so dead with the reason — not found again on every run.
    await makeOverduePending(held.id);
    expect(await reconcileDeliveries(h.engine, { overdueMs: 60_000 })).toMatchObject({ requeued: 0 });
    const [row] = await deliveryRows(h, webhookId);
    expect(row).toMatchObject({ status: 'dead', last_error: PAYLOAD_PRUNED_ERROR });
    expect(await reconcileDeliveries(h.engine, { overdueMs: 60_000 })).toMatchObject({ checked: 0 });
    expect(r.requests).toHaveLength(0);
  });

  test('when the maintenance queue runs a prune job, events past retention go and recent ones stay', async () => {
    const r = await receiver();
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    const { id: recentId } = await h.client.publish({ app: h.appId, type: 'user.register', data: {} });
    await waitForStatus(h, webhookId, 'succeeded');
    await h.t.db
      .insertInto('events')
      .values({
        id: 'msg_old',
        app_id: h.appId,
        type: 'user.register',
        payload: '{}',
        created_at: new Date(Date.now() - 40 * 86_400_000),
      })
      .execute();
    await h.engine.queues.maintenance.add('prune', {});
    await waitUntil(
      async () =>
        !(await h.t.db.selectFrom('events').select('id').where('id', '=', 'msg_old').executeTakeFirst()),
      { what: 'the old event to be pruned' },
    );
    expect(
      await h.t.db.selectFrom('events').select('id').where('id', '=', recentId).executeTakeFirst(),
    ).toEqual({ id: recentId });
  });

  test('when deliveries are listed, filters and totals reflect the rows', async () => {
    const r = await receiver();
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publishBatch([1, 2, 3].map((n) => ({ app: h.appId, type: 'user.register', data: { n } })));
    await waitForStatus(h, webhookId, 'succeeded', 3);
    const page = await listDeliveries(h.engine, { appId: h.appId, webhookId }, { limit: 2 });
    expect(page.total).toBe(3);
    expect(page.data).toHaveLength(2);
    expect(page.nextCursor).toBe(page.data[1]!.id);
    const rest = await listDeliveries(
      h.engine,
      { appId: h.appId, webhookId },
      { limit: 2, cursor: page.nextCursor! },
    );
    expect(rest.data).toHaveLength(1);
    expect(rest.nextCursor).toBeNull();
    await expect(listDeliveries(h.engine, { appId: h.appId, status: 'lost' })).rejects.toThrow(/status/);
  });
});

describe('delivery engine while Postgres is away', () => {
  test('when the webhook cache cannot load before an attempt, the delivery waits without spending an attempt', async () => {
    const postgres = new URL(TEST_POSTGRES_URL);
    const proxy = await startTcpProxy({ host: postgres.hostname, port: Number(postgres.port || 5432) });
    // The worker reaches Postgres only through the proxy; the test itself goes direct.
    const h = await startHarness(
      { retryScheduleMs: [1_500, 200, 200] },
      {
        workerDb: (url) =>
          createDb({
            connectionString: proxy.through(url),
            maxConnections: 5,
            applicationName: 'herald-worker',
          }),
      },
    );
    let answered = 0;
    const r = await startReceiver((_req, res) => {
      answered += 1;
      res.writeHead(answered === 1 ? 500 : 200).end();
    });
    try {
      const { id: webhookId } = await h.addWebhook({ url: r.url });
      await h.client.publish({ app: h.appId, type: 'user.register', data: {} });
      // The first attempt failed and is committed; its retry is 1.5 s away.
      await waitForStatus(h, webhookId, 'failed');
      // The cache is dropped (a webhook change) and Postgres goes away before the retry.
      await h.engine.shared.webhookChanges.notify(h.appId);
      await sleep(100);
      await proxy.cut();
      await sleep(4_000);
      expect(r.requests).toHaveLength(1);
      await proxy.restore();
      await waitForStatus(h, webhookId, 'succeeded');
      expect(r.requests.map((req) => req.headers['herald-attempt'])).toEqual(['1', '2']);
      const [row] = await deliveryRows(h, webhookId);
      expect(row!.attempts).toBe(2);
    } finally {
      await proxy.restore();
      await h.close();
      await r.close();
      await proxy.close();
    }
  });
});

// The shared gate lives in Redis only with the Redis queue backend.
(TEST_QUEUE_BACKEND === 'redis' ? describe : describe.skip)(
  'delivery engine while the shared gate’s Redis is away',
  () => {
    test('when Redis goes during the POST, the outcome is still committed; the next attempt waits for Redis', async () => {
      const redisUrl = new URL(TEST_REDIS_URL);
      const proxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
      // Only the worker's shared state (gate, change notices) goes through the proxy; commands
      // fail after one reconnect attempt instead of queueing for ever.
      const gateRedis = new Redis(proxy.through(TEST_REDIS_URL), { maxRetriesPerRequest: 1 });
      gateRedis.on('error', () => undefined);
      const prefix = uniquePrefix();
      const h = await startHarness({
        shared: createSharedState({ kind: 'redis', redis: gateRedis, prefix }),
      });
      let calls = 0;
      const r = await startReceiver(async (_req, res) => {
        calls++;
        if (calls === 1) await proxy.cut();
        res.writeHead(calls === 1 ? 500 : 200).end();
      });
      try {
        const { id: webhookId } = await h.addWebhook({ url: r.url });
        await h.client.publish({ app: h.appId, type: 'hwid.mismatch', data: {} });
        const [row] = await waitUntil(
          async () => {
            const rows = await deliveryRows(h, webhookId);
            return rows[0]?.attempts === 1 ? rows : undefined;
          },
          { what: 'the first attempt recorded', timeoutMs: 4_000 },
        );
        expect(row).toMatchObject({ status: 'failed', last_status_code: 500 });
        expect((await attemptsOf(h, row!.id)).map((a) => [a.outcome, a.status_code])).toEqual([
          ['http_error', 500],
        ]);
        await sleep(1_000);
        expect(r.requests).toHaveLength(1);
        await proxy.restore();
        await waitForStatus(h, webhookId, 'succeeded');
        expect(r.requests.map((req) => req.headers['herald-attempt'])).toEqual(['1', '2']);
      } finally {
        await proxy.restore();
        await h.close();
        await r.close();
        await deleteKeysWithPrefix(gateRedis, prefix).catch(() => undefined);
        gateRedis.disconnect();
        await proxy.close();
      }
    });
  },
);

describe('delivery engine with a long retry step', () => {
  test('when a 429 with a short Retry-After comes late in the schedule, the retry waits what was asked, not the step', async () => {
    const h = await startHarness({ retryScheduleMs: [200, 8_000, 8_000] });
    let calls = 0;
    const r = await startReceiver((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(500).end();
      else if (calls === 2) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(200).end();
    });
    try {
      const { id: webhookId } = await h.addWebhook({ url: r.url });
      await h.client.publish({ app: h.appId, type: 'payment.success', data: {} });
      const [, limited, last] = await r.waitForRequests(3, 6_000);
      // The 429 came at the second step (8 s ± 20 %); it asked for 1 s.
      expect(last!.receivedAt - limited!.receivedAt).toBeGreaterThanOrEqual(950);
      expect(last!.receivedAt - limited!.receivedAt).toBeLessThan(4_000);
      await waitForStatus(h, webhookId, 'succeeded');
      expect(r.requests.map((req) => req.headers['herald-attempt'])).toEqual(['1', '2', '3']);
    } finally {
      await h.close();
      await r.close();
    }
  });
});

describe('worker shutdown', () => {
  test('when an attempt hangs past the shutdown deadline, close cuts it short, records it and schedules its retry', async () => {
    // The attempt's own timeout (10 s) is far beyond the shutdown deadline (300 ms).
    const h = await startHarness({ shutdownTimeoutMs: 300, deliveryTimeoutMs: 10_000 });
    const r = await startReceiver(() => {
      // Never answers.
    });
    try {
      const { id: webhookId } = await h.addWebhook({ url: r.url });
      await h.client.publish({ app: h.appId, type: 'license.redeem', data: {} });
      const [req] = await r.waitForRequests(1);
      const startedAt = Date.now();
      await h.worker.close();
      expect(Date.now() - startedAt).toBeLessThan(3_000);
      const [row] = await deliveryRows(h, webhookId);
      expect(row).toMatchObject({ status: 'failed', attempts: 1 });
      expect(row!.next_attempt_at).not.toBeNull();
      expect((await attemptsOf(h, row!.id)).map((a) => [a.outcome, a.error])).toEqual([
        ['network_error', 'HERALD_SHUTDOWN: the worker shut down mid-attempt'],
      ]);
      expect(await h.engine.queues.deliveries.getJobState(req!.headers['herald-delivery-id']!)).toBe(
        'delayed',
      );
    } finally {
      await h.close();
      await r.close();
    }
  });
});
