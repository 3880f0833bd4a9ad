import { randomBytes } from 'node:crypto';
import { Herald } from '@herald/client';
import {
  createApp,
  createEngine,
  createWebhook,
  CLI_ACTOR,
  type Engine,
  type WebhookInput,
} from '@herald/engine';
import { createLogger } from '@herald/logger';
import { createKeyring } from '@herald/signing';
import {
  createTestDatabase,
  createTestRedis,
  deleteKeysWithPrefix,
  uniquePrefix,
  type TestDatabase,
} from '@herald/testkit';
import { createWorker, type HeraldWorker, type WorkerDeps } from '../worker.js';

export interface Harness {
  t: TestDatabase;
  redis: ReturnType<typeof createTestRedis>;
  prefix: string;
  engine: Engine;
  worker: HeraldWorker;
  client: Herald;
  appId: string;
  addWebhook(input: WebhookInput): Promise<{ id: string; secret: string }>;
  close(): Promise<void>;
}

export const TEST_KEY = randomBytes(32);

/**
 * A real worker (in this process) on a test database and queue prefix of its
 * own, an engine for library calls, a client to publish, and one app.
 */
export async function startHarness(overrides: Partial<WorkerDeps> = {}): Promise<Harness> {
  const t = await createTestDatabase();
  const redis = createTestRedis();
  const prefix = uniquePrefix();
  const keyring = createKeyring(TEST_KEY, []);
  const log = createLogger({
    name: 'test-worker',
    level: process.env['HERALD_TEST_LOG'] === '1' ? 'debug' : 'silent',
  });
  const worker = createWorker({
    db: t.db,
    redis,
    log,
    keyring,
    queuePrefix: prefix,
    concurrency: 20,
    busyAppPerSecond: 1_000_000,
    retryScheduleMs: [200, 200, 200],
    deliveryTimeoutMs: 1_500,
    allowPrivateNetworks: true,
    breakerFailures: 0,
    breakerOpenMs: 1_000,
    disableAfterMs: 5 * 86_400_000,
    reconcileEveryMs: 60_000,
    shutdownTimeoutMs: 5_000,
    ...overrides,
  });
  await worker.start();
  const engine = createEngine({
    db: t.db,
    redis,
    queuePrefix: prefix,
    keyring,
    allowPrivateNetworks: overrides.allowPrivateNetworks ?? true,
    ...(overrides.resolveHost ? { resolveHost: overrides.resolveHost } : {}),
  });
  const client = new Herald({ connection: redis, queuePrefix: prefix });
  const app = await createApp(t.db, CLI_ACTOR, { name: 'Test app' });
  return {
    t,
    redis,
    prefix,
    engine,
    worker,
    client,
    appId: app.id,
    async addWebhook(input) {
      const created = await createWebhook(engine, CLI_ACTOR, app.id, input);
      return { id: created.webhook.id, secret: created.secret };
    },
    async close() {
      await worker.close();
      await client.close();
      await engine.close();
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
      await t.drop();
    },
  };
}
