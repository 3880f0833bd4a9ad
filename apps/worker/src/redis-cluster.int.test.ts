import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Herald } from '@herald/client';
import { CLI_ACTOR, createApiKey, createApp } from '@herald/engine';
import { QUEUE_NAMES, createRedisConnection, type RedisConnection } from '@herald/queue';
import { verifyWebhook } from '@herald/signing';
import {
  createTestDatabase,
  startProcess,
  startReceiver,
  startRedisCluster,
  startRedisSentinel,
  uniquePrefix,
  waitUntil,
  type LocalRedisCluster,
  type LocalRedisSentinel,
  type Receiver,
  type RunningProcess,
  type TestDatabase,
} from '@herald/testkit';

// The real admin and worker processes (config loaded from the environment,
// as in production) against a Redis Cluster or Sentinel of the test's own,
// started from Debian's redis-server on loopback ports.

const key = randomBytes(32);

interface Stack {
  t: TestDatabase;
  prefix: string;
  admin: RunningProcess;
  worker: RunningProcess;
  adminUrl: string;
  apiKey: string;
  appId: string;
}

function portFrom(p: RunningProcess, line: RegExp): number {
  const found = p
    .output()
    .stdout.split('\n')
    .find((l) => line.test(l));
  return (JSON.parse(found ?? '{}') as { port: number }).port;
}

async function startStack(redisEnv: Record<string, string>, processes: RunningProcess[]): Promise<Stack> {
  const t = await createTestDatabase();
  try {
    return await startProcesses(t, redisEnv, processes);
  } catch (error) {
    // afterAll never sees a stack that failed half-way: its processes and database go here.
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
    await t.drop();
    throw error;
  }
}

async function startProcesses(
  t: TestDatabase,
  redisEnv: Record<string, string>,
  processes: RunningProcess[],
): Promise<Stack> {
  const prefix = uniquePrefix();
  const common = {
    DATABASE_URL: t.url,
    HERALD_QUEUE_PREFIX: prefix,
    HERALD_SECRET_KEY: key.toString('base64'),
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    // Nothing listens here: every Redis command must go to the cluster or sentinel.
    REDIS_URL: 'redis://127.0.0.1:1',
    ...redisEnv,
  };
  const worker = startProcess('apps/worker/src/main.ts', {
    env: {
      ...common,
      HERALD_WORKER_PORT: '0',
      HERALD_RETRY_SCHEDULE: '1s,1s,1s',
      HERALD_DELIVERY_TIMEOUT_MS: '2000',
      HERALD_WORKER_CONCURRENCY: '20',
    },
  });
  processes.push(worker);
  const admin = startProcess('apps/admin/src/main.ts', { env: { ...common, PORT: '0' } });
  processes.push(admin);
  await Promise.all([worker.waitFor(/worker started/, 60_000), admin.waitFor(/admin listening/, 60_000)]);
  const app = await createApp(t.db, CLI_ACTOR, { name: 'Cluster' });
  const apiKey = await createApiKey(t.db, CLI_ACTOR, { appId: app.id });
  return {
    t,
    prefix,
    admin,
    worker,
    adminUrl: `http://127.0.0.1:${portFrom(admin, /admin listening/)}/api/v1`,
    apiKey: apiKey.key,
    appId: app.id,
  };
}

async function api(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.adminUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function deliveryRows(stack: Stack, eventId: string) {
  return stack.t.db
    .selectFrom('deliveries')
    .select(['id', 'status', 'attempts', 'webhook_id'])
    .where('event_id', '=', eventId)
    .execute();
}

describe('with HERALD_REDIS_CLUSTER_NODES (a local 3-master Redis Cluster)', () => {
  let cluster: LocalRedisCluster;
  let stack: Stack;
  let redis: RedisConnection;
  let client: Herald;
  const receivers: Receiver[] = [];
  const processes: RunningProcess[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    stack = await startStack({ HERALD_REDIS_CLUSTER_NODES: cluster.nodeList }, processes);
    redis = createRedisConnection(
      { mode: 'cluster', url: 'redis://127.0.0.1:1', nodes: cluster.nodes },
      { connectionName: 'herald-test' },
    );
    client = new Herald({ connection: redis, queuePrefix: stack.prefix });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGTERM')));
    await client?.close();
    redis?.disconnect();
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.t.drop();
    await cluster?.stop();
  });

  test('the cluster really spreads Herald keys: the queues hash to different slots, each queue to one', async () => {
    const slots = await Promise.all(
      Object.values(QUEUE_NAMES).map(async (name) =>
        Number(await redis.call('CLUSTER', 'KEYSLOT', `${stack.prefix}:${name}:wait`)),
      ),
    );
    expect(new Set(slots).size).toBeGreaterThan(1);
    const [events] = slots;
    expect(Number(await redis.call('CLUSTER', 'KEYSLOT', `${stack.prefix}:${QUEUE_NAMES.events}:meta`))).toBe(
      events,
    );
  });

  test('publish → fan-out → signed delivery, a retry after a 500, the endpoint gate, and webhook changes reaching the worker', async () => {
    // First answer 500 to the first request, then 204.
    let failNext = 1;
    const first = await startReceiver((_req, res) => {
      if (failNext > 0) {
        failNext -= 1;
        return void res.writeHead(500).end('boom');
      }
      res.writeHead(204).end();
    });
    receivers.push(first);

    // Created through the admin process (API rate limit Lua and the invalidation both via the cluster).
    const created = await api(stack, 'POST', '/webhooks', {
      url: `${first.url}/hook`,
      rateLimitPerSecond: 1000,
    });
    expect(created.status).toBe(201);
    const webhookId = created.body['id'] as string;
    const secret = created.body['secret'] as string;

    // Published with the client over its own Cluster connection.
    const { id: eventId } = await client.publish({
      app: stack.appId,
      type: 'user.created',
      data: { user: 'u_1' },
    });
    const [failed, retried] = await first.waitForRequests(2, 30_000);
    const firstDeliveryAt = failed!.receivedAt;
    for (const req of [failed!, retried!]) {
      expect(req.headers['webhook-id']).toBe(eventId);
      const payload = verifyWebhook(secret, req.body, req.headers) as { type: string; data: unknown };
      expect(payload).toMatchObject({ type: 'user.created', data: { user: 'u_1' } });
    }
    // The retry waited for the 1 s schedule (±20 % jitter: at least 800 ms, less a little clock slack).
    expect(retried!.receivedAt - failed!.receivedAt).toBeGreaterThanOrEqual(750);
    const rows = await waitUntil(
      async () => {
        const r = await deliveryRows(stack, eventId);
        return r.length === 1 && r[0]!.status === 'succeeded' ? r : undefined;
      },
      { what: 'the delivery recorded as succeeded' },
    );
    expect(rows[0]).toMatchObject({ webhook_id: webhookId, attempts: 2 });
    const attempts = await stack.t.db
      .selectFrom('delivery_attempts')
      .select(['status_code'])
      .where('delivery_id', '=', rows[0]!.id)
      .orderBy('attempt')
      .execute();
    expect(attempts.map((a) => a.status_code)).toEqual([500, 204]);

    // The gate's hash (one key, hash-tagged by webhook id) lives in the cluster:
    // the rate limit wrote its theoretical arrival time there.
    const gateKey = `${stack.prefix}:gate:{${webhookId}}`;
    expect(Number(await redis.call('CLUSTER', 'KEYSLOT', gateKey))).toBe(
      Number(await redis.call('CLUSTER', 'KEYSLOT', `{${webhookId}}`)),
    );
    expect(Number(await redis.hget(gateKey, 'tat'))).toBeGreaterThan(0);

    // A change made in the admin process reaches the worker's cache by
    // pub/sub, well before the cache's 30 s safety TTL would.
    const second = await startReceiver();
    receivers.push(second);
    const patched = await api(stack, 'PATCH', `/webhooks/${webhookId}`, { url: `${second.url}/hook` });
    expect(patched.status).toBe(200);
    const published = await api(stack, 'POST', '/events', { type: 'user.updated', data: { user: 'u_1' } });
    expect(published.status).toBe(202);
    const [moved] = await second.waitForRequests(1, 20_000);
    expect(moved!.headers['webhook-id']).toBe(published.body['id']);
    expect(verifyWebhook(secret, moved!.body, moved!.headers)).toMatchObject({ type: 'user.updated' });
    expect(moved!.receivedAt - firstDeliveryAt).toBeLessThan(30_000);
    expect(first.requests).toHaveLength(2);

    // A batch through the cluster: every event delivered exactly once.
    const batch = Array.from({ length: 50 }, (_, n) => ({
      app: stack.appId,
      type: 'user.batch',
      data: { n },
    }));
    const { ids } = await client.publishBatch(batch);
    await second.waitForRequests(51, 30_000);
    const seen = second.requests.slice(1).map((r) => r.headers['webhook-id']);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(50);

    // Readiness and the queue gauges (read on scrape, per queue) work against the cluster.
    const workerBase = `http://127.0.0.1:${portFrom(stack.worker, /worker health listening/)}`;
    const ready = await fetch(`${workerBase}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({
      status: 200,
      body: { status: 'ok', checks: { postgres: 'ok', redis: 'ok' } },
    });
    // Counted once each outcome is committed, a moment after the receiver saw it.
    const metrics = await waitUntil(
      async () => {
        const text = await (await fetch(`${workerBase}/metrics`)).text();
        return /^herald_deliveries_total\{outcome="success",status_class="2xx"\} 52$/m.test(text)
          ? text
          : undefined;
      },
      { what: '52 successes in /metrics' },
    );
    expect(metrics).toMatch(/^herald_queue_depth\{queue="deliveries",state="wait"\} 0$/m);
    expect(metrics).toMatch(/^herald_deliveries_total\{outcome="http_error",status_class="5xx"\} 1$/m);

    // Both processes ready against the cluster, and nothing logged a Redis error.
    for (const p of [stack.worker, stack.admin]) {
      expect(p.output().stdout).not.toMatch(/CROSSSLOT|redis connection error|queue worker error/);
    }
  });
});

describe('with HERALD_REDIS_SENTINELS (one master, one sentinel)', () => {
  let sentinel: LocalRedisSentinel;
  let stack: Stack;
  const processes: RunningProcess[] = [];
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    stack = await startStack(
      { HERALD_REDIS_SENTINELS: sentinel.nodeList, HERALD_REDIS_SENTINEL_NAME: sentinel.name },
      processes,
    );
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGTERM')));
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.t.drop();
    await sentinel?.stop();
  });

  test('an event published through the admin API is delivered, signed, via the master the sentinel names', async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const created = await api(stack, 'POST', '/webhooks', { url: `${receiver.url}/hook` });
    expect(created.status).toBe(201);
    const published = await api(stack, 'POST', '/events', { type: 'user.created', data: { user: 'u_2' } });
    expect(published.status).toBe(202);
    const [req] = await receiver.waitForRequests(1, 20_000);
    expect(req!.headers['webhook-id']).toBe(published.body['id']);
    expect(verifyWebhook(created.body['secret'] as string, req!.body, req!.headers)).toMatchObject({
      type: 'user.created',
    });
    // The queue keys are on the master the sentinel monitors.
    const master = new Redis({ host: sentinel.master.host, port: sentinel.master.port });
    try {
      const keys = await master.keys(`${stack.prefix}:*`);
      expect(keys.some((k) => k.startsWith(`${stack.prefix}:${QUEUE_NAMES.events}:`))).toBe(true);
    } finally {
      master.disconnect();
    }
  });
});
