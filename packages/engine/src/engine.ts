import { Queue } from 'bullmq';
import type { Db } from '@herald/db';
import { QUEUE_NAMES, type RedisConnection } from '@herald/queue';
import type { SecretKeyring } from '@herald/signing';

export interface EngineOptions {
  db: Db;
  redis: RedisConnection;
  queuePrefix: string;
  keyring: SecretKeyring;
  allowPrivateNetworks: boolean;
  /** DNS for save-time URL checks (tests inject one). */
  resolveHost?: (host: string) => Promise<string[]>;
}

/**
 * What the library functions (webhooks, deliveries, replay) share. The admin
 * app, the CLI and the worker each build one; only the worker sends HTTP.
 */
export interface Engine extends EngineOptions {
  queues: { events: Queue; deliveries: Queue; maintenance: Queue };
  close(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const queueOptions = { connection: options.redis, prefix: options.queuePrefix };
  const queues = {
    events: new Queue(QUEUE_NAMES.events, queueOptions),
    deliveries: new Queue(QUEUE_NAMES.deliveries, queueOptions),
    maintenance: new Queue(QUEUE_NAMES.maintenance, queueOptions),
  };
  return {
    ...options,
    queues,
    async close() {
      await Promise.all([queues.events.close(), queues.deliveries.close(), queues.maintenance.close()]);
    },
  };
}
