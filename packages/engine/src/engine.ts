import type { Db } from '@herald/db';
import { QUEUE_NAMES, type HeraldQueue, type QueueBackend } from '@herald/queue';
import type { SecretKeyring } from '@herald/signing';
import type { SharedState } from './shared/shared-state.js';

export interface EngineOptions {
  db: Db;
  /** Where the queues live (Redis or Postgres), from HERALD_QUEUE_BACKEND. */
  queue: QueueBackend;
  /** Endpoint gate, change feed and limits, on the same backend as the queues. */
  shared: SharedState;
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
  queues: { events: HeraldQueue; deliveries: HeraldQueue; maintenance: HeraldQueue };
  close(): Promise<void>;
}

export function createEngine(options: EngineOptions): Engine {
  const queues = {
    events: options.queue.createQueue(QUEUE_NAMES.events),
    deliveries: options.queue.createQueue(QUEUE_NAMES.deliveries),
    maintenance: options.queue.createQueue(QUEUE_NAMES.maintenance),
  };
  return {
    ...options,
    queues,
    async close() {
      await Promise.all([queues.events.close(), queues.deliveries.close(), queues.maintenance.close()]);
    },
  };
}
