import { randomBytes } from 'node:crypto';
import { Herald } from '@herald/client';
import {
  createApp,
  createEngine,
  createWebhook,
  CLI_ACTOR,
  createSharedState,
  type Engine,
  type WebhookInput,
} from '@herald/engine';
import { createLogger } from '@herald/logger';
import { createKeyring } from '@herald/signing';
import { createTestDatabase, createTestQueue, type TestDatabase, type TestQueue } from '@herald/testkit';
import type { Db } from '@herald/db';
import { createWorker, type HeraldWorker, type WorkerDeps } from '../worker.js';

export interface Harness {
  t: TestDatabase;
  /** The queue backend under test (HERALD_TEST_QUEUE_BACKEND): Redis with a unique prefix, or Postgres. */
  queue: TestQueue;
  engine: Engine;
  worker: HeraldWorker;
  client: Herald;
  appId: string;
  addWebhook(input: WebhookInput): Promise<{ id: string; secret: string }>;
  close(): Promise<void>;
}

export const TEST_KEY = randomBytes(32);

/**
 * A real worker (in this process) on a test database and queue of its own
 * (on the backend HERALD_TEST_QUEUE_BACKEND names), an engine for library
 * calls, a client to publish, and one app.
 */
export async function startHarness(
  overrides: Partial<WorkerDeps> = {},
  options: {
    /** The worker's own connection to the test database (a proxied one, say); closed with the harness. */
    workerDb?: (url: string) => Db;
  } = {},
): Promise<Harness> {
  const t = await createTestDatabase();
  const workerDb = options.workerDb?.(t.url);
  const queue = createTestQueue(t.url);
  const shared = createSharedState(queue);
  const keyring = createKeyring(TEST_KEY, []);
  const log = createLogger({
    name: 'test-worker',
    level: process.env['HERALD_TEST_LOG'] === '1' ? 'debug' : 'silent',
  });
  const worker = createWorker({
    db: workerDb ?? t.db,
    queueBackend: queue.backend,
    shared,
    log,
    keyring,
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
    queue: queue.backend,
    shared,
    keyring,
    allowPrivateNetworks: overrides.allowPrivateNetworks ?? true,
    ...(overrides.resolveHost ? { resolveHost: overrides.resolveHost } : {}),
  });
  const client = new Herald({ queueBackend: queue.backend });
  const app = await createApp(t.db, CLI_ACTOR, { name: 'Test app' });
  return {
    t,
    queue,
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
      await workerDb?.destroy();
      await client.close();
      await engine.close();
      await queue.close();
      await t.drop();
    },
  };
}
