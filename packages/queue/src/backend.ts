import {
  Queue,
  Worker,
  createPostgresBackend,
  type IQueueBackend,
  type JobProgress,
  type PgPool,
  type Processor,
  type WorkerOptions,
} from 'bullmq';
import type { RedisConnection } from './connection.js';
import type { QueueName } from './names.js';

/** A queue on either backend. Job data is `unknown`: every consumer parses it (jobs.ts). */
export type HeraldQueue = Queue<unknown, unknown, string, unknown, unknown, string, IQueueBackend, unknown>;
export type HeraldQueueWorker = Worker<unknown, unknown, string, IQueueBackend, JobProgress, unknown>;
export type HeraldProcessor = Processor<unknown, unknown, string>;

/** Worker settings that mean the same on both backends (the connection is the backend's). */
export type QueueWorkerOptions = Omit<WorkerOptions, 'connection' | 'prefix'>;

/**
 * Where Herald's BullMQ queues live, chosen once from HERALD_QUEUE_BACKEND.
 * The engine, the worker, the publishing client and the tests create their
 * queues and workers only through this, so the rest of the code does not
 * know which datastore holds the jobs.
 */
export interface QueueBackend {
  readonly kind: 'redis' | 'postgres';
  createQueue(name: QueueName): HeraldQueue;
  createWorker(name: QueueName, processor: HeraldProcessor, options: QueueWorkerOptions): HeraldQueueWorker;
}

/** Redis: one shared command connection (BullMQ duplicates it for blocking calls), keys under `prefix`. */
export function createRedisQueueBackend(connection: RedisConnection, prefix: string): QueueBackend {
  return {
    kind: 'redis',
    createQueue: (name) => new Queue(name, { connection, prefix }) as unknown as HeraldQueue,
    createWorker: (name, processor, options) =>
      new Worker(name, processor, { ...options, connection, prefix }) as unknown as HeraldQueueWorker,
  };
}

/**
 * BullMQ's Postgres backend on a pool whose `search_path` starts with the
 * queue schema (see `createQueuePool`). The pool is the caller's: closing a
 * queue or worker never ends it. Each worker keeps one pooled connection for
 * its LISTEN wake-ups, so size the pool for that (three workers per process).
 */
export function createPostgresQueueBackend(pool: PgPool): QueueBackend {
  return {
    kind: 'postgres',
    createQueue: (name) =>
      new Queue(name, { connection: pool }, createPostgresBackend) as unknown as HeraldQueue,
    createWorker: (name, processor, options) =>
      new Worker(
        name,
        processor,
        { ...options, connection: pool },
        createPostgresBackend,
      ) as unknown as HeraldQueueWorker,
  };
}
