import { join } from 'node:path';
import { resolveSecretKeys, type SecretKeys, type SharedConfig } from '@herald/config';
import { StartupError } from '@herald/core';
import { assertSchemaCurrent, createDb, ping, type Db } from '@herald/db';
import type { Logger } from '@herald/logger';
import type { Check } from '@herald/observability';
import { createRedisConnection, type RedisConnection } from '@herald/queue';

export interface Services {
  db: Db;
  redis: RedisConnection;
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
}

/**
 * What every long-running process needs, opened in order: secret keys,
 * Postgres (refusing to start when the schema is behind — only `pnpm migrate`
 * migrates), then Redis.
 */
export async function openServices(config: SharedConfig, options: OpenServicesOptions): Promise<Services> {
  const { log } = options;
  if (config.queueBackend === 'postgres') {
    throw new StartupError(
      'HERALD_QUEUE_BACKEND=postgres is not available in this version; use redis (the default)',
    );
  }
  const secretKeys = resolveSecretKeys({
    secretKey: config.secretKey,
    oldSecretKeys: config.oldSecretKeys,
    fallbackFile: join(options.stateDir, 'secret.key'),
    onGenerated: (file) =>
      log.warn({ file }, 'HERALD_SECRET_KEY is not set: generated a development key; set it in production'),
  });
  const db = createDb({
    connectionString: config.databaseUrl,
    maxConnections: options.maxDbConnections ?? 10,
    applicationName: options.name,
    onPoolError: (error) => log.warn({ err: error.message }, 'idle postgres connection failed'),
  });
  try {
    await assertSchemaCurrent(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
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
