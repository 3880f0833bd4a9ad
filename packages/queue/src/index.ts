export { QUEUE_NAMES } from './names.js';
export type { QueueName } from './names.js';
export { createRedisConnection } from './connection.js';
export type { ConnectionOptions, RedisConnection, RedisConnectionConfig } from './connection.js';
export {
  DELIVERY_PRIORITY,
  IDEMPOTENCY_TTL_MS,
  deliveryJobOptions,
  eventJobOptions,
  parseDeliveryJobData,
  parseEventJobData,
} from './jobs.js';
export type { DeliveryJobData, EventJobData } from './jobs.js';
