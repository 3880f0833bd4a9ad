import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { newId } from '@herald/core';
import {
  CLI_ACTOR,
  createApiKey,
  createApp as createHeraldApp,
  createEngine,
  createSharedState,
  writeFanout,
  type Engine,
} from '@herald/engine';
import { createLogger } from '@herald/logger';
import type { HeraldMetrics } from '@herald/observability';
import { createKeyring } from '@herald/signing';
import { createTestDatabase, createTestQueue, type TestDatabase, type TestQueue } from '@herald/testkit';
import { createApp } from '../app.js';
import type { AdminSettings } from '../settings.js';

export interface ApiFixture {
  t: TestDatabase;
  /** The queue backend under test (HERALD_TEST_QUEUE_BACKEND). */
  queue: TestQueue;
  /** The raw 32-byte key behind the engine's keyring (a worker must use the same). */
  secretKey: Buffer;
  engine: Engine;
  settings: AdminSettings;
  http: Express;
  appId: string;
  /** A full-scope key of `appId`. */
  key: string;
  /** Another app and its key: its resources must be invisible to `key`. */
  otherAppId: string;
  otherKey: string;
  /** Makes another key of `appId`. */
  newKey(scope?: 'full' | 'ingest'): Promise<{ id: string; key: string }>;
  /** Jobs in `{events}` (all states): what was published. */
  publishedCount(): Promise<number>;
  /**
   * Every event id published so far, whether its job is still queued or a
   * worker has already recorded it (and removed the finished job): with a
   * worker running, a count of queued jobs goes down as it works.
   */
  publishedIds(): Promise<Set<string>>;
  /** Records an event with one delivery to `webhookId` as fan-out would (no worker needed). */
  recordEvent(webhookId: string, appId?: string): Promise<{ eventId: string; deliveryId: string }>;
  close(): Promise<void>;
}

export const auth = (key: string): [string, string] => ['Authorization', `Bearer ${key}`];

/**
 * The admin app (API mounted) on its own database and queue prefix, with an
 * app, a key, and a second app to prove isolation.
 */
export async function startApiFixture(
  options: {
    allowPrivateNetworks?: boolean;
    resolveHost?: (host: string) => Promise<string[]>;
    settings?: Partial<AdminSettings>;
    metrics?: HeraldMetrics;
  } = {},
): Promise<ApiFixture> {
  const t = await createTestDatabase();
  const queue = createTestQueue(t.url);
  const secretKey = randomBytes(32);
  const engine = createEngine({
    db: t.db,
    queue: queue.backend,
    shared: createSharedState(queue),
    keyring: createKeyring(secretKey, []),
    allowPrivateNetworks: options.allowPrivateNetworks ?? true,
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  const settings: AdminSettings = {
    nodeEnv: 'test',
    apiRateLimitPerSecond: 10_000,
    apiMaxBodyBytes: 256 * 1024,
    apiMaxBatchBytes: 16 * 1024 * 1024,
    metricsToken: undefined,
    ...options.settings,
  };
  const log = createLogger({
    name: 'test-admin',
    level: process.env['HERALD_TEST_LOG'] === '1' ? 'debug' : 'silent',
  });
  const http = createApp({
    log,
    checks: {},
    isDraining: () => false,
    engine,
    settings,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const app = await createHeraldApp(t.db, CLI_ACTOR, { name: 'API test app' });
  const other = await createHeraldApp(t.db, CLI_ACTOR, { name: 'Other app' });
  const key = await createApiKey(t.db, CLI_ACTOR, { appId: app.id });
  const otherKey = await createApiKey(t.db, CLI_ACTOR, { appId: other.id });
  const events = engine.queues.events;
  return {
    t,
    queue,
    secretKey,
    engine,
    settings,
    http,
    appId: app.id,
    key: key.key,
    otherAppId: other.id,
    otherKey: otherKey.key,
    async newKey(scope = 'full') {
      const created = await createApiKey(t.db, CLI_ACTOR, { appId: app.id, scope });
      return { id: created.id, key: created.key };
    },
    async publishedCount() {
      const counts = await events.getJobCounts();
      return Object.values(counts).reduce((a, b) => a + b, 0);
    },
    async publishedIds() {
      // Queue first, then the table: a job leaves the queue only after its
      // event row has committed, so an id missed in one is found in the other.
      const jobs = await events.getJobs(['wait', 'active', 'delayed', 'prioritized', 'completed', 'failed']);
      const recorded = await t.db.selectFrom('events').select('id').execute();
      return new Set([...jobs.flatMap((job) => (job?.id ? [job.id] : [])), ...recorded.map((row) => row.id)]);
    },
    async recordEvent(webhookId, appId = app.id) {
      const eventId = newId('event');
      const [result] = await writeFanout(t.db, [
        {
          event: {
            v: 1,
            id: eventId,
            appId,
            type: 'auth.login.failed',
            timestamp: new Date().toISOString(),
            data: { ip: '203.0.113.7' },
          },
          matches: [{ webhookId, deliverable: true }],
        },
      ]);
      if (!result || result.unknownApp) throw new Error('event not recorded');
      return { eventId, deliveryId: result.deliveries[0]!.deliveryId };
    },
    async close() {
      await engine.close();
      await queue.close();
      await t.drop();
    },
  };
}

/** The fields an error answer names (`error.details[].field`). */
export function fieldsOf(res: { body: unknown }): string[] {
  const details = (res.body as { error?: { details?: { field: string }[] } }).error?.details ?? [];
  return details.map((d) => d.field);
}

/** Keys of a JSON object answer, sorted. */
export function keysOf(value: unknown): string[] {
  return Object.keys(value as object).sort();
}
