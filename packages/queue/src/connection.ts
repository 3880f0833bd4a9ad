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

/** What `coalesceWrites` needs of a socket (net.Socket and tls.TLSSocket both are). */
export interface CorkableStream {
  write: (...args: never[]) => boolean;
  cork(): void;
  uncork(): void;
}

/**
 * Commands written to `stream` in one turn of the event loop leave it in one
 * write: the socket is corked at the first write and uncorked by a
 * `setImmediate`, once the turn's I/O callbacks and promise continuations
 * have run. A worker finishing a committed batch of jobs issues dozens of
 * BullMQ commands in one turn; ioredis writes each to the socket on its own,
 * and on a VM a write syscall costs tens of µs (more on loopback, where the
 * kernel delivers to Redis inside the sender's call). Measured in the
 * pipeline bench: the worker's write syscalls went from 3.4 to 1.5 per
 * delivery. Unlike ioredis' `enableAutoPipelining`, commands are not
 * regrouped: each is its own command with its own reply, in order; only the
 * number of syscalls changes.
 */
export function coalesceWrites(stream: CorkableStream): void {
  const write = stream.write;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  stream.write = function (this: CorkableStream, ...args: never[]): boolean {
    if (!corked) {
      corked = true;
      stream.cork();
      setImmediate(uncork);
    }
    return write.apply(this, args);
  };
}

/** Every socket `redis` opens, on connect and on each reconnect, coalesces its writes. */
function coalesceEachConnection(redis: Redis): Redis {
  // 'connect' is emitted before ioredis writes anything on the new socket (AUTH, SELECT, the ready check).
  redis.on('connect', () => coalesceWrites(redis.stream));
  return redis;
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
      return coalesceEachConnection(new Redis(config.url, common));
    case 'cluster': {
      const cluster = new Cluster(
        config.nodes.map((n) => ({ host: n.host, port: n.port })),
        { redisOptions: { ...common, ...fromUrl, db: 0 } },
      );
      // '+node' comes as the cluster adds a node's connection, before it connects.
      cluster.on('+node', (node: Redis) => coalesceEachConnection(node));
      return cluster;
    }
    case 'sentinel':
      return coalesceEachConnection(
        new Redis({
          ...common,
          ...fromUrl,
          sentinels: config.sentinels.map((n) => ({ host: n.host, port: n.port })),
          name: config.name,
        }),
      );
  }
}
