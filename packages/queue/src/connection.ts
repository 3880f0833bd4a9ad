import { Cluster, Redis, type RedisOptions } from 'ioredis';

export type RedisConnectionConfig =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; url: string; nodes: readonly { host: string; port: number }[] }
  | { mode: 'sentinel'; url: string; sentinels: readonly { host: string; port: number }[]; name: string };

export type RedisConnection = Redis | Cluster;

export interface ConnectionOptions {
  /** Shown in CLIENT LIST, e.g. `herald-worker`. */
  connectionName?: string;
  /**
   * BullMQ workers need `null` (block forever, retry forever); producers and
   * health checks want commands to fail fast while Redis is down.
   */
  maxRetriesPerRequest?: number | null;
}

/** Credentials, TLS and db number come from REDIS_URL in every mode. */
function optionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return {
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number.isInteger(db) ? db : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

export function createRedisConnection(
  config: RedisConnectionConfig,
  options: ConnectionOptions = {},
): RedisConnection {
  const common: RedisOptions = {
    connectionName: options.connectionName,
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? null : options.maxRetriesPerRequest,
    enableReadyCheck: true,
    // Back off up to 2 s between reconnects; never give up (Redis restarts are routine).
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  };
  const fromUrl = optionsFromUrl(config.url);
  switch (config.mode) {
    case 'single':
      return new Redis(config.url, common);
    case 'cluster':
      return new Cluster(
        config.nodes.map((n) => ({ host: n.host, port: n.port })),
        { redisOptions: { ...common, ...fromUrl, db: 0 } },
      );
    case 'sentinel':
      return new Redis({
        ...common,
        ...fromUrl,
        sentinels: config.sentinels.map((n) => ({ host: n.host, port: n.port })),
        name: config.name,
      });
  }
}
