import { randomBytes } from 'node:crypto';
import { Herald } from '@herald/client';
import {
  createApp,
  createEngine,
  createSharedState,
  createWebhook,
  CLI_ACTOR,
  type Engine,
} from '@herald/engine';
import { PREPARED_STATEMENTS_MIN_ROWS } from '@herald/db';
import { createKeyring } from '@herald/signing';
import {
  createTestDatabase,
  createTestQueue,
  seedDeliveryHistory,
  startProcess,
  TEST_QUEUE_BACKEND,
  startReceiver,
  waitUntil,
  type Receiver,
  type RunningProcess,
  type TestDatabase,
  type TestQueue,
} from '@herald/testkit';

// Real worker processes (pnpm worker) on one queue, killed and added like ops
// would, on the queue backend HERALD_TEST_QUEUE_BACKEND names.
// Postgres-only mode moves fewer jobs per second than Redis (README, "Postgres-only
// mode"): its drains get more time; the recovery bound after SIGKILL stays the same.
const DRAIN_PATIENCE = TEST_QUEUE_BACKEND === 'postgres' ? 3 : 1;
describe('worker processes', () => {
  const key = randomBytes(32);
  let t: TestDatabase;
  let queue: TestQueue;
  let engine: Engine;
  let client: Herald;
  let receiver: Receiver;
  const processes: RunningProcess[] = [];

  const startWorker = (extra: Record<string, string> = {}): RunningProcess => {
    const p = startProcess('apps/worker/src/main.ts', {
      env: {
        DATABASE_URL: t.url,
        ...queue.env,
        HERALD_SECRET_KEY: key.toString('base64'),
        HERALD_WORKER_PORT: '0',
        HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
        HERALD_DELIVERY_TIMEOUT_MS: '2000',
        HERALD_WORKER_CONCURRENCY: '50',
        HERALD_RETRY_SCHEDULE: '1s,1s,1s',
        ...extra,
      },
    });
    processes.push(p);
    return p;
  };

  beforeEach(async () => {
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
  });
  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGKILL')));
    await client.close();
    await engine.close();
    await receiver.close();
    await queue.close();
    await t.drop();
  });

  async function setUp(count: number): Promise<string> {
    const app = await createApp(t.db, CLI_ACTOR, { name: 'Scale' });
    await createWebhook(engine, CLI_ACTOR, app.id, { url: receiver.url });
    const ids: string[] = [];
    for (let i = 0; i < count; i += 500) {
      const batch = Array.from({ length: Math.min(500, count - i) }, (_, n) => ({
        app: app.id,
        type: 'user.register',
        data: { n: i + n },
      }));
      ids.push(...(await client.publishBatch(batch)).ids);
    }
    expect(new Set(ids).size).toBe(count);
    return app.id;
  }

  async function succeeded(): Promise<number> {
    const row = await t.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('status', '=', 'succeeded')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  test('when a worker is killed with SIGKILL mid-run, a new worker delivers everything: none lost, duplicates share the webhook-id', async () => {
    receiver = await startReceiver((_req, res) => {
      setTimeout(() => res.writeHead(204).end(), 20);
    });
    await setUp(1_200);
    const first = startWorker();
    await receiver.waitForRequests(150, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const delivered = await succeeded();
    expect(delivered).toBeLessThan(1_200);
    const restartedAt = Date.now();
    const second = startWorker();
    await second.waitFor(/worker started/);
    await waitUntil(async () => (await succeeded()) === 1_200, {
      timeoutMs: 45_000,
      intervalMs: 200,
      what: 'all 1200 delivered',
    });
    // Jobs the killed worker held come back within about one lock duration (4 s) plus the drain.
    expect(Date.now() - restartedAt).toBeLessThan(40_000);
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(1_200);
    // Every duplicate is a re-send of the same delivery, with the same webhook-id.
    const byDelivery = new Map<string, Set<string>>();
    for (const r of receiver.requests) {
      const set = byDelivery.get(r.headers['herald-delivery-id']!) ?? new Set();
      set.add(r.headers['webhook-id']!);
      byDelivery.set(r.headers['herald-delivery-id']!, set);
    }
    expect([...byDelivery.values()].every((s) => s.size === 1)).toBe(true);
    expect(byDelivery.size).toBe(1_200);
    const stopped = await second.stop('SIGTERM');
    expect(stopped.code).toBe(0);
  });

  test(
    'when two worker processes share one queue, everything is delivered exactly once and both do work',
    async () => {
      receiver = await startReceiver();
      await setUp(1_500);
      const a = startWorker({ HERALD_LOG_LEVEL: 'debug' });
      const b = startWorker({ HERALD_LOG_LEVEL: 'debug' });
      await waitUntil(async () => (await succeeded()) === 1_500, {
        timeoutMs: 60_000 * DRAIN_PATIENCE,
        intervalMs: 200,
        what: 'all 1500 delivered',
      });
      const ids = receiver.requests.map((r) => r.headers['webhook-id']);
      expect(ids).toHaveLength(1_500);
      expect(new Set(ids).size).toBe(1_500);
      const [ra, rb] = await Promise.all([a.stop('SIGTERM'), b.stop('SIGTERM')]);
      expect([ra.code, rb.code]).toEqual([0, 0]);
      const countIn = (out: string) =>
        out.split('\n').filter((l) => l.includes('"delivery succeeded"')).length;
      const [na, nb] = [countIn(ra.stdout), countIn(rb.stdout)];
      expect(na + nb).toBe(1_500);
      expect(na).toBeGreaterThan(0);
      expect(nb).toBeGreaterThan(0);
    },
    60_000 * DRAIN_PATIENCE + 30_000,
  );

  test(
    'on a database with production-sized history, the worker sends its hot writes prepared and delivers as before',
    async () => {
      receiver = await startReceiver((_req, res) => {
        res.writeHead(204).end();
      });
      const app = await createApp(t.db, CLI_ACTOR, { name: 'History' });
      const { webhook } = await createWebhook(engine, CLI_ACTOR, app.id, { url: receiver.url });
      await seedDeliveryHistory(t.db, app.id, webhook.id, PREPARED_STATEMENTS_MIN_ROWS);
      const worker = startWorker();
      await worker.waitFor(/hot writes now use prepared statements/, 60_000);
      const { ids } = await client.publishBatch(
        Array.from({ length: 300 }, (_, n) => ({ app: app.id, type: 'user.login', data: { n } })),
      );
      await waitUntil(async () => (await succeeded()) === PREPARED_STATEMENTS_MIN_ROWS + 300, {
        timeoutMs: 30_000 * DRAIN_PATIENCE,
        intervalMs: 200,
        what: 'all 300 delivered',
      });
      expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set(ids));
      const attempts = await t.db
        .selectFrom('delivery_attempts')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(attempts.n)).toBe(300);
      expect((await worker.stop('SIGTERM')).code).toBe(0);
    },
    90_000 * DRAIN_PATIENCE,
  );
});
