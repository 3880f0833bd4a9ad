import { z } from 'zod';
import {
  adminPassword,
  bearerToken,
  directoryPath,
  duration,
  embeddedMode,
  email,
  hostPortList,
  integer,
  logLevel,
  nodeEnv,
  port,
  postgresUrl,
  queueBackend,
  queuePrefix,
  redisUrl,
  retrySchedule,
  secretKey,
  secretKeyList,
  strictBoolean,
  type HostPort,
} from './fields.js';

// One line per variable; the contract (names, defaults) is DESIGN.md §7.
const sharedShape = {
  NODE_ENV: nodeEnv,
  HERALD_LOG_LEVEL: logLevel,
  DATABASE_URL: postgresUrl.default('postgres://postgres@127.0.0.1:5432/herald'),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  HERALD_REDIS_CLUSTER_NODES: hostPortList.optional(),
  HERALD_REDIS_SENTINELS: hostPortList.optional(),
  HERALD_REDIS_SENTINEL_NAME: z.string().min(1).optional(),
  HERALD_QUEUE_BACKEND: queueBackend,
  HERALD_QUEUE_PREFIX: queuePrefix,
  HERALD_SECRET_KEY: secretKey.optional(), // required in production (checked below)
  HERALD_SECRET_KEYS_OLD: secretKeyList.optional(), // decryption only
  HERALD_ALLOW_PRIVATE_NETWORKS: strictBoolean(false),
  HERALD_METRICS_TOKEN: bearerToken.optional(),
};

const adminShape = {
  ...sharedShape,
  PORT: port(3000),
  HERALD_TRUST_PROXY: strictBoolean(false), // behind one TLS-terminating proxy: trust its X-Forwarded-*
  HERALD_ADMIN_EMAIL: email.optional(),
  HERALD_ADMIN_PASSWORD: adminPassword.optional(),
  HERALD_API_RATE_LIMIT: integer(100, 1, 1_000_000), // requests/s per API key
  HERALD_API_MAX_BODY_BYTES: integer(256 * 1024, 1024, 64 * 1024 * 1024),
  HERALD_API_MAX_BATCH_BYTES: integer(16 * 1024 * 1024, 1024, 256 * 1024 * 1024),
};

const workerShape = {
  ...sharedShape,
  HERALD_WORKER_PORT: port(9464), // workers never read PORT
  HERALD_RETRY_SCHEDULE: retrySchedule('5s,5m,30m,2h,5h,10h,10h'),
  HERALD_DELIVERY_TIMEOUT_MS: integer(15_000, 100, 300_000),
  HERALD_WORKER_CONCURRENCY: integer(100, 1, 10_000),
  HERALD_BREAKER_FAILURES: integer(20, 0, 1_000_000), // 0 = breaker off
  HERALD_BREAKER_OPEN_SECONDS: integer(30, 1, 86_400),
  HERALD_DISABLE_AFTER: duration('5d', 60_000, 365 * 86_400_000), // continuous failure before auto-disable
  HERALD_RETENTION: duration('30d', 86_400_000, 3650 * 86_400_000), // events, deliveries, attempts kept this long
  HERALD_PAYLOAD_RETENTION: duration('30d', 3_600_000, 3650 * 86_400_000), // event payloads (may be shorter)
};

type SharedEnv = z.output<z.ZodObject<typeof sharedShape>>;

function checkShared(env: SharedEnv, ctx: z.RefinementCtx): void {
  if (env.NODE_ENV === 'production' && env.HERALD_SECRET_KEY === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['HERALD_SECRET_KEY'],
      message: 'is required when NODE_ENV=production (openssl rand -base64 32)',
    });
  }
  if (env.HERALD_REDIS_SENTINELS && !env.HERALD_REDIS_SENTINEL_NAME) {
    ctx.addIssue({
      code: 'custom',
      path: ['HERALD_REDIS_SENTINEL_NAME'],
      message: 'is required with HERALD_REDIS_SENTINELS',
    });
  }
  if (env.HERALD_QUEUE_BACKEND === 'postgres') {
    // Postgres-only mode opens no Redis connection: Redis topology settings would be
    // silently ignored, and a key prefix cannot separate two Heralds in one database.
    for (const name of ['HERALD_REDIS_CLUSTER_NODES', 'HERALD_REDIS_SENTINELS'] as const) {
      if (env[name] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: 'cannot be combined with HERALD_QUEUE_BACKEND=postgres (Postgres-only mode uses no Redis)',
        });
      }
    }
    if (env.HERALD_QUEUE_PREFIX !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['HERALD_QUEUE_PREFIX'],
        message:
          'cannot be combined with HERALD_QUEUE_BACKEND=postgres (the queues live in the database: one database, one Herald)',
      });
    }
  }
  if (env.HERALD_REDIS_SENTINELS && env.HERALD_REDIS_CLUSTER_NODES) {
    ctx.addIssue({
      code: 'custom',
      path: ['HERALD_REDIS_CLUSTER_NODES'],
      message: 'cannot be combined with HERALD_REDIS_SENTINELS',
    });
  }
}

export type RedisConfig =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; url: string; nodes: HostPort[] }
  | { mode: 'sentinel'; url: string; sentinels: HostPort[]; name: string };

export interface SharedConfig {
  nodeEnv: 'development' | 'production' | 'test';
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  databaseUrl: string;
  redis: RedisConfig;
  queueBackend: 'redis' | 'postgres';
  queuePrefix: string;
  /** Undefined until `resolveSecretKeys` fills the development fallback. */
  secretKey: string | undefined;
  oldSecretKeys: readonly string[];
  allowPrivateNetworks: boolean;
  metricsToken: string | undefined;
}

function toShared(env: SharedEnv): SharedConfig {
  const url = env.REDIS_URL;
  let redis: RedisConfig = { mode: 'single', url };
  if (env.HERALD_REDIS_CLUSTER_NODES) {
    redis = { mode: 'cluster', url, nodes: env.HERALD_REDIS_CLUSTER_NODES };
  } else if (env.HERALD_REDIS_SENTINELS) {
    redis = {
      mode: 'sentinel',
      url,
      sentinels: env.HERALD_REDIS_SENTINELS,
      name: env.HERALD_REDIS_SENTINEL_NAME ?? '',
    };
  }
  return {
    nodeEnv: env.NODE_ENV,
    logLevel: env.HERALD_LOG_LEVEL,
    databaseUrl: env.DATABASE_URL,
    redis,
    queueBackend: env.HERALD_QUEUE_BACKEND,
    queuePrefix: env.HERALD_QUEUE_PREFIX ?? 'herald',
    secretKey: env.HERALD_SECRET_KEY,
    oldSecretKeys: env.HERALD_SECRET_KEYS_OLD ?? [],
    allowPrivateNetworks: env.HERALD_ALLOW_PRIVATE_NETWORKS,
    metricsToken: env.HERALD_METRICS_TOKEN,
  };
}

export const adminEnvSchema = z
  .object(adminShape)
  .superRefine((env, ctx) => {
    checkShared(env, ctx);
    if ((env.HERALD_ADMIN_EMAIL === undefined) !== (env.HERALD_ADMIN_PASSWORD === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.HERALD_ADMIN_EMAIL === undefined ? 'HERALD_ADMIN_EMAIL' : 'HERALD_ADMIN_PASSWORD'],
        message: 'HERALD_ADMIN_EMAIL and HERALD_ADMIN_PASSWORD go together',
      });
    }
  })
  .transform((env) => ({
    ...toShared(env),
    port: env.PORT,
    trustProxy: env.HERALD_TRUST_PROXY,
    initialAdmin:
      env.HERALD_ADMIN_EMAIL && env.HERALD_ADMIN_PASSWORD
        ? { email: env.HERALD_ADMIN_EMAIL, password: env.HERALD_ADMIN_PASSWORD }
        : undefined,
    apiRateLimitPerSecond: env.HERALD_API_RATE_LIMIT,
    apiMaxBodyBytes: env.HERALD_API_MAX_BODY_BYTES,
    apiMaxBatchBytes: env.HERALD_API_MAX_BATCH_BYTES,
  }));

export const workerEnvSchema = z
  .object(workerShape)
  .superRefine(checkShared)
  .transform((env) => ({
    ...toShared(env),
    port: env.HERALD_WORKER_PORT,
    retryScheduleMs: env.HERALD_RETRY_SCHEDULE,
    deliveryTimeoutMs: env.HERALD_DELIVERY_TIMEOUT_MS,
    concurrency: env.HERALD_WORKER_CONCURRENCY,
    breakerFailures: env.HERALD_BREAKER_FAILURES,
    breakerOpenSeconds: env.HERALD_BREAKER_OPEN_SECONDS,
    disableAfterMs: env.HERALD_DISABLE_AFTER,
    retentionMs: env.HERALD_RETENTION,
    payloadRetentionMs: Math.min(env.HERALD_PAYLOAD_RETENTION, env.HERALD_RETENTION),
  }));

export const cliEnvSchema = z
  .object(sharedShape)
  .superRefine(checkShared)
  .transform((env) => toShared(env));

// `pnpm start` only: whether to run on the embedded database (README "Embedded mode").
export const startEnvSchema = z
  .object({
    HERALD_EMBEDDED: embeddedMode,
    HERALD_DATA_DIR: directoryPath.optional(), // default: `.herald/data` in the repo's state dir
  })
  .transform((env) => ({ embedded: env.HERALD_EMBEDDED, dataDir: env.HERALD_DATA_DIR }));

export type StartConfig = z.output<typeof startEnvSchema>;
export type AdminConfig = z.output<typeof adminEnvSchema>;
export type WorkerConfig = z.output<typeof workerEnvSchema>;
export type CliConfig = z.output<typeof cliEnvSchema>;
