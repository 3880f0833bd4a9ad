export { QUEUE_NAMES } from './names.js';
export type { QueueName } from './names.js';
export { createRedisConnection } from './connection.js';
export type { ConnectionOptions, RedisConnection, RedisConnectionConfig } from './connection.js';
export { createPostgresQueueBackend, createRedisQueueBackend } from './backend.js';
export type {
  HeraldProcessor,
  HeraldQueue,
  HeraldQueueWorker,
  QueueBackend,
  QueueWorkerOptions,
} from './backend.js';
export {
  QUEUE_SCHEMA,
  QUEUE_SEARCH_PATH,
  assertQueueSchemaCurrent,
  createQueuePool,
  migrateQueueSchema,
} from './postgres.js';
export type { QueuePoolOptions } from './postgres.js';
export type { PgPool, PgPoolClient } from 'bullmq';
export {
  DELIVERY_PRIORITY,
  IDEMPOTENCY_TTL_MS,
  deliveryJobOptions,
  eventJobOptions,
  parseDeliveryJobData,
  parseEventJobData,
} from './jobs.js';
export type { DeliveryJobData, EventJobData } from './jobs.js';
