import { Redis } from 'ioredis';
import {
  createPostgresQueueBackend,
  createQueuePool,
  createRedisQueueBackend,
  type PgPool,
  type QueueBackend,
} from '@herald/queue';
import { deleteKeysWithPrefix, uniquePrefix } from './redis.js';
import { TEST_QUEUE_BACKEND, TEST_REDIS_URL, type TestQueueKind } from './services.js';

/** A queue backend of a test's own, on either backend; `close()` removes what it stored. */
export type TestQueue = (
  { kind: 'redis'; redis: Redis; prefix: string } | { kind: 'postgres'; pool: PgPool; prefix: string }
) & {
  backend: QueueBackend;
  close(): Promise<void>;
};

/**
 * Redis: a fresh connection and a unique key prefix (keys deleted on close).
 * Postgres: a pool on the test's own database (`databaseUrl`, copied from the
 * migrated template, which holds the `bullmq` schema too), dropped with it.
 * The kind defaults to HERALD_TEST_QUEUE_BACKEND (redis when unset).
 */
export function createTestQueue(databaseUrl: string, kind: TestQueueKind = TEST_QUEUE_BACKEND): TestQueue {
  const prefix = uniquePrefix();
  if (kind === 'postgres') {
    const pool = createQueuePool({
      connectionString: databaseUrl,
      max: 20,
      applicationName: 'herald-test-queue',
      // As the worker runs it (openServices); the in-process harness shares one pool.
      synchronousCommit: false,
    });
    return {
      kind,
      pool,
      prefix,
      backend: createPostgresQueueBackend(pool),
      close: () => pool.end(),
    };
  }
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
  return {
    kind,
    redis,
    prefix,
    backend: createRedisQueueBackend(redis, prefix),
    async close() {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
