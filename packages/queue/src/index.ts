export { QUEUE_NAMES } from './names.js';
export type { QueueName } from './names.js';
export { createRedisConnection } from './connection.js';
export type { ConnectionOptions, RedisConnection, RedisConnectionConfig } from './connection.js';
