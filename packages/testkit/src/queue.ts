import { Redis } from 'ioredis';
import type pg from 'pg';
import {
  createPostgresQueueBackend,
  createQueuePool,
  createRedisQueueBackend,
  type PgPool,
  type QueueBackend,
} from '@herald/queue';
import { deleteKeysWithPrefix, uniquePrefix } from './redis.js';
import { TEST_QUEUE_BACKEND, TEST_REDIS_URL, type TestQueueKind } from './services.js';

/**
 * `pool.end()` resolves once its clients are told to end, not once their
 * sockets closed; a database dropped `with (force)` right after would kill
 * them mid-goodbye (an unhandled error). Waits (bounded) for every `remove`.
 */
async function endPool(pool: pg.Pool): Promise<void> {
  const clients = pool.totalCount;
  let removed = 0;
  const allGone = new Promise<void>((resolve) => {
    if (clients === 0) resolve();
    pool.on('remove', () => {
      if (++removed >= clients) resolve();
    });
  });
  await pool.end();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([allGone, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
  clearTimeout(timer);
}

/** A queue backend of a test's own, on either backend; `close()` removes what it stored. */
export type TestQueue = (
  { kind: 'redis'; redis: Redis; prefix: string } | { kind: 'postgres'; pool: PgPool; prefix: string }
) & {
  backend: QueueBackend;
  /** What a child worker or admin process needs to use the same queues (HERALD_QUEUE_BACKEND, prefix). */
  env: Record<string, string>;
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
      env: { HERALD_QUEUE_BACKEND: 'postgres' },
      close: () => endPool(pool),
    };
  }
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, lazyConnect: false });
  return {
    kind,
    redis,
    prefix,
    backend: createRedisQueueBackend(redis, prefix),
    env: { HERALD_QUEUE_BACKEND: 'redis', HERALD_QUEUE_PREFIX: prefix },
    async close() {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}
