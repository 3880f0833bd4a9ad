import type { Db } from '@herald/db';
import type { Logger } from '@herald/logger';
import type { RedisConnection } from '@herald/queue';

export interface WorkerDeps {
  db: Db;
  redis: RedisConnection;
  log: Logger;
  concurrency: number;
}

export interface HeraldWorker {
  start(): Promise<void>;
  /** Stops taking jobs, lets in-flight ones finish, then returns. */
  close(): Promise<void>;
}

/**
 * Builds the worker without starting it. The fan-out and delivery
 * processors (the delivery engine) attach here.
 */
export function createWorker(deps: WorkerDeps): HeraldWorker {
  return {
    start() {
      deps.log.info({ concurrency: deps.concurrency }, 'worker started');
      return Promise.resolve();
    },
    close() {
      deps.log.info('worker stopped taking jobs');
      return Promise.resolve();
    },
  };
}
