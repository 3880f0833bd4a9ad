import { join } from 'node:path';
import { resolveSecretKeys, type SecretKeys, type SharedConfig } from '@herald/config';
import {
  assertSchemaCurrent,
  createDb,
  openWhenTablesAreLarge,
  ping,
  PreparedStatementGate,
  type Db,
} from '@herald/db';
import { createPostgresSharedState, createRedisSharedState, type SharedState } from '@herald/engine';
import type { Logger } from '@herald/logger';
import type { Check } from '@herald/observability';
import {
  assertQueueSchemaCurrent,
  createPostgresQueueBackend,
  createQueuePool,
  createRedisConnection,
  createRedisQueueBackend,
  type PgPool,
  type QueueBackend,
  type RedisConnection,
} from '@herald/queue';

export interface Services {
  db: Db;
  /** Where the queues live (HERALD_QUEUE_BACKEND). */
  queueBackend: QueueBackend;
  /** Endpoint gate, webhook change feed, request limits: on the queue backend's datastore. */
  shared: SharedState;
  /** The Redis connection, only with HERALD_QUEUE_BACKEND=redis (Postgres-only mode opens none). */
  redis: RedisConnection | undefined;
  secretKeys: SecretKeys;
  /** Dependency checks for /readyz. */
  checks: Record<string, Check>;
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  /** `herald-admin`, `herald-worker`: shown in pg_stat_activity and CLIENT LIST. */
  name: string;
  log: Logger;
  /** Where the development secret key lives (the repo root's `.herald/`). */
  stateDir: string;
  maxDbConnections?: number;
  /**
   * Send the hot writes as named prepared statements once `events` and
   * `deliveries` hold about `minRows` rows (@herald/db prepared.ts: why it
   * waits). Looked up at start and every `intervalMs` until then. Workers only.
   */
  preparedStatements?: { minRows: number; intervalMs: number };
  /**
   * Postgres-only mode: the queue pool's size. Each BullMQ worker keeps one
   * connection for LISTEN, the webhook change feed another; the rest serve
   * job fetches, locks and completions.
   */
  maxQueueConnections?: number;
  /** Postgres-only mode: `false` for workers (see `createQueuePool`'s `synchronousCommit`). */
  queueSynchronousCommit?: boolean;
  /**
   * Postgres-only mode: a pool to use instead of opening one on DATABASE_URL
   * (an embedded Postgres behind a `pg.Pool`-shaped adapter). Its search path
   * must be QUEUE_SEARCH_PATH; the caller owns it (close() does not end it).
   */
  queuePool?: PgPool;
}

/**
 * What every long-running process needs, opened in order: secret keys,
 * Postgres (refusing to start when the schema is behind — only `pnpm migrate`
 * migrates), then the queue backend: Redis, or with
 * HERALD_QUEUE_BACKEND=postgres a second Postgres pool for BullMQ's schema and
 * Herald's shared state (no Redis at all).
 */
export async function openServices(config: SharedConfig, options: OpenServicesOptions): Promise<Services> {
  const { log } = options;
  const secretKeys = resolveSecretKeys({
    secretKey: config.secretKey,
    oldSecretKeys: config.oldSecretKeys,
    fallbackFile: join(options.stateDir, 'secret.key'),
    onGenerated: (file) =>
      log.warn({ file }, 'HERALD_SECRET_KEY is not set: generated a development key; set it in production'),
  });
  const prepared = options.preparedStatements && {
    ...options.preparedStatements,
    gate: new PreparedStatementGate(),
  };
  const db = createDb({
    connectionString: config.databaseUrl,
    maxConnections: options.maxDbConnections ?? 10,
    applicationName: options.name,
    onPoolError: (error) => log.warn({ err: error.message }, 'idle postgres connection failed'),
    ...(prepared ? { preparedStatements: prepared.gate } : {}),
  });
  try {
    await assertSchemaCurrent(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const watch =
    prepared &&
    openWhenTablesAreLarge(db, prepared.gate, {
      minRows: prepared.minRows,
      intervalMs: prepared.intervalMs,
      onOpen: (rows) =>
        log.info(
          { rows: Math.round(rows) },
          'events and deliveries are large: hot writes now use prepared statements',
        ),
      onError: (error) => log.warn({ err: error.message }, 'could not read table sizes'),
    });
  try {
    const services =
      config.queueBackend === 'postgres'
        ? await openPostgresQueue(config, options, db, secretKeys)
        : openRedisQueue(config, options, db, secretKeys);
    return {
      ...services,
      async close() {
        watch?.stop();
        await services.close();
      },
    };
  } catch (error) {
    watch?.stop();
    throw error;
  }
}

function openRedisQueue(
  config: SharedConfig,
  options: OpenServicesOptions,
  db: Db,
  secretKeys: SecretKeys,
): Services {
  const { log } = options;
  const redis = createRedisConnection(config.redis, { connectionName: options.name });
  let lastRedisError = '';
  redis.on('error', (error: Error) => {
    // ioredis reports every failed reconnect; log each distinct cause once.
    if (error.message !== lastRedisError) log.warn({ err: error.message }, 'redis connection error');
    lastRedisError = error.message;
  });
  redis.on('ready', () => {
    if (lastRedisError) log.info('redis connection restored');
    lastRedisError = '';
  });
  return {
    db,
    queueBackend: createRedisQueueBackend(redis, config.queuePrefix),
    shared: createRedisSharedState(redis, config.queuePrefix),
    redis,
    secretKeys,
    checks: {
      postgres: () => ping(db),
      redis: () => redis.ping(),
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
      await db.destroy();
    },
  };
}

async function openPostgresQueue(
  config: SharedConfig,
  options: OpenServicesOptions,
  db: Db,
  secretKeys: SecretKeys,
): Promise<Services> {
  const ownsPool = options.queuePool === undefined;
  const pool: PgPool =
    options.queuePool ??
    createQueuePool({
      connectionString: config.databaseUrl,
      max: options.maxQueueConnections ?? 20,
      applicationName: `${options.name}-queue`,
      ...(options.queueSynchronousCommit === undefined
        ? {}
        : { synchronousCommit: options.queueSynchronousCommit }),
      onError: (error) => options.log.warn({ err: error.message }, 'idle postgres queue connection failed'),
    });
  try {
    await assertQueueSchemaCurrent(pool);
  } catch (error) {
    if (ownsPool) await pool.end();
    await db.destroy();
    throw error;
  }
  return {
    db,
    queueBackend: createPostgresQueueBackend(pool),
    shared: createPostgresSharedState(pool),
    redis: undefined,
    secretKeys,
    checks: {
      postgres: async () => {
        await ping(db);
        await pool.query('select 1');
      },
    },
    async close() {
      if (ownsPool) await pool.end();
      await db.destroy();
    },
  };
}
