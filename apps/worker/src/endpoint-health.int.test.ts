import { ValidationError } from '@herald/core';
import { createWebhook, CLI_ACTOR, createApp } from '@herald/engine';
import { startReceiver, sleep, waitUntil, type Receiver } from '@herald/testkit';
import { startHarness, type Harness } from './testing/harness.js';

const receivers: Receiver[] = [];
async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()));
});

async function statuses(h: Harness, webhookId: string): Promise<string[]> {
  const rows = await h.t.db
    .selectFrom('deliveries')
    .select('status')
    .where('webhook_id', '=', webhookId)
    .execute();
  return rows.map((r) => r.status).sort();
}

describe('circuit breaker', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      breakerFailures: 3,
      breakerOpenMs: 1_500,
      retryScheduleMs: [100, 100, 100, 100, 100, 100],
    });
  });
  afterAll(async () => h.close());

  test('when a webhook fails repeatedly, its circuit opens: no attempts are made or burned until it closes, then everything is delivered', async () => {
    let healthy = false;
    const r = await receiver((_req, res) => void res.writeHead(healthy ? 200 : 500).end());
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publishBatch(
      [1, 2, 3, 4].map((n) => ({ app: h.appId, type: 'user.register', data: { n } })),
    );
    await r.waitForRequests(3);
    await sleep(150);
    const atOpen = r.requests.length;
    await sleep(900);
    // Within the open window nothing more reaches the endpoint.
    expect(r.requests.length).toBe(atOpen);
    const open = await h.engine.shared.gate.inspect(webhookId);
    expect(open?.openUntil).toBeGreaterThan(Date.now());
    expect((await statuses(h, webhookId)).every((s) => s === 'pending' || s === 'failed')).toBe(true);
    healthy = true;
    await waitUntil(async () => (await statuses(h, webhookId)).every((s) => s === 'succeeded'), {
      what: 'all delivered after the circuit closes',
    });
    const rows = await h.t.db
      .selectFrom('deliveries')
      .select('attempts')
      .where('webhook_id', '=', webhookId)
      .execute();
    // Attempts were spent only on real requests.
    expect(rows.reduce((sum, row) => sum + row.attempts, 0)).toBe(r.requests.length);
    const closed = await h.engine.shared.gate.inspect(webhookId);
    expect(closed?.failures ?? 0).toBe(0);
    expect(closed?.openUntil ?? 0).toBe(0);
  });

  test('when a webhook answers 429, it is slowed down but its circuit never opens', async () => {
    let calls = 0;
    const r = await receiver((_req, res) => {
      calls++;
      if (calls <= 4) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.writeHead(200).end();
    });
    const { id: webhookId } = await h.addWebhook({ url: r.url });
    await h.client.publishBatch(
      [1, 2, 3, 4].map((n) => ({ app: h.appId, type: 'user.register', data: { n } })),
    );
    await waitUntil(async () => (await statuses(h, webhookId)).every((s) => s === 'succeeded'), {
      what: 'all delivered despite 429s',
    });
    const gate = await h.engine.shared.gate.inspect(webhookId);
    expect(gate?.openUntil ?? 0).toBe(0);
    expect(gate?.failures ?? 0).toBe(0);
  });
});

describe('rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h.close());

  test('when a webhook is limited to 5 per second, 15 deliveries are spread over at least 2 seconds', async () => {
    const r = await receiver();
    await h.addWebhook({ url: r.url, rateLimitPerSecond: 5 });
    await h.client.publishBatch(
      Array.from({ length: 15 }, (_, n) => ({ app: h.appId, type: 'user.register', data: { n } })),
    );
    const got = await r.waitForRequests(15, 10_000);
    const times = got.map((q) => q.receivedAt).sort((a, b) => a - b);
    expect(times[14]! - times[0]!).toBeGreaterThanOrEqual(1_800);
    // No 1-second window holds more than the burst plus the rate.
    for (let i = 0; i < times.length; i++) {
      expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1_000).length).toBeLessThanOrEqual(10);
    }
  });

  test('when one webhook is rate limited, another webhook of the same app is not held up', async () => {
    const slow = await receiver();
    const fast = await receiver();
    await h.addWebhook({ url: slow.url, rateLimitPerSecond: 1, events: ['slow.*'] });
    await h.addWebhook({ url: fast.url, events: ['fast.*'] });
    await h.client.publishBatch(
      Array.from({ length: 10 }, (_, n) => ({ app: h.appId, type: 'slow.tick', data: { n } })),
    );
    await sleep(100);
    const start = Date.now();
    await h.client.publishBatch(
      Array.from({ length: 10 }, (_, n) => ({ app: h.appId, type: 'fast.tick', data: { n } })),
    );
    await fast.waitForRequests(10, 5_000);
    expect(Date.now() - start).toBeLessThan(1_500);
    expect(slow.requests.length).toBeLessThan(10);
  });
});

describe('fairness', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ concurrency: 1, retryScheduleMs: [10, 10, 10, 10, 10], busyAppPerSecond: 20 });
  });
  afterAll(async () => h.close());

  test('when retries to a broken endpoint are due, a healthy webhook’s first attempt goes before them', async () => {
    const broken = await receiver((_req, res) => {
      setTimeout(() => res.writeHead(500).end(), 5);
    });
    const healthy = await receiver();
    await h.addWebhook({ url: broken.url, events: ['broken.*'] });
    await h.addWebhook({ url: healthy.url, events: ['healthy.*'] });
    await h.client.publishBatch(
      Array.from({ length: 20 }, (_, n) => ({ app: h.appId, type: 'broken.tick', data: { n } })),
    );
    await broken.waitForRequests(25);
    await h.client.publish({ app: h.appId, type: 'healthy.tick', data: {} });
    const before = broken.requests.length;
    await healthy.waitForRequests(1, 5_000);
    // Dozens of retries were due; the new event still went (almost) next.
    expect(broken.requests.length - before).toBeLessThanOrEqual(2);
  });

  test('when one app floods the queue, another app’s event is delivered before the flood drains', async () => {
    const flood = await receiver((_req, res) => {
      setTimeout(() => res.writeHead(204).end(), 5);
    });
    const quiet = await receiver();
    const other = await createApp(h.t.db, CLI_ACTOR, { name: 'Quiet app' });
    await h.addWebhook({ url: flood.url, events: ['flood.*'] });
    await createWebhook(h.engine, CLI_ACTOR, other.id, { url: quiet.url });
    await h.client.publishBatch(
      Array.from({ length: 200 }, (_, n) => ({ app: h.appId, type: 'flood.tick', data: { n } })),
    );
    await flood.waitForRequests(10);
    await h.client.publish({ app: other.id, type: 'user.register', data: {} });
    await quiet.waitForRequests(1, 10_000);
    expect(flood.requests.length).toBeLessThan(150);
  });
});

describe('SSRF guard', () => {
  let h: Harness;
  let lookups = 0;
  beforeAll(async () => {
    h = await startHarness({
      allowPrivateNetworks: false,
      // At save time the name does not resolve; at connect time it points at loopback.
      resolveHost: (host) => {
        lookups++;
        if (host === 'hook.example.test' && lookups === 1) {
          return Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
        }
        return Promise.resolve(host === 'hook.example.test' ? ['127.0.0.1'] : ['93.184.215.14']);
      },
    });
  });
  afterAll(async () => h.close());

  test.each([
    'http://127.0.0.1/hook',
    'http://localhost/hook',
    'http://10.0.0.5/x',
    'http://169.254.169.254/latest/meta-data',
    'http://[::ffff:127.0.0.1]/x',
    'http://2130706433/x',
    'http://0x7f000001/x',
    'http://[::1]/x',
  ])('when private networks are not allowed, a webhook to %s is refused at save time', async (url) => {
    await expect(h.addWebhook({ url })).rejects.toThrow(ValidationError);
    const count = await h.t.db.selectFrom('webhooks').select('id').where('app_id', '=', h.appId).execute();
    expect(count).toEqual([]);
  });

  test('when a name resolves to loopback only at connect time, the connection is refused and the delivery is dead as blocked', async () => {
    const r = await receiver();
    const created = await createWebhook(h.engine, CLI_ACTOR, h.appId, {
      url: `http://hook.example.test:${r.port}/hook`,
    });
    expect(created.warnings.length).toBeGreaterThan(0);
    await h.client.publish({ app: h.appId, type: 'user.register', data: {} });
    const row = await waitUntil(
      () =>
        h.t.db
          .selectFrom('deliveries')
          .selectAll()
          .where('webhook_id', '=', created.webhook.id)
          .where('status', '=', 'dead')
          .executeTakeFirst(),
      { what: 'a dead delivery' },
    );
    const attempts = await h.t.db
      .selectFrom('delivery_attempts')
      .selectAll()
      .where('delivery_id', '=', row.id)
      .execute();
    expect(attempts.map((a) => a.outcome)).toEqual(['blocked']);
    expect(r.requests).toHaveLength(0);
  });
});
