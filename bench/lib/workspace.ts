// The workspace packages the Herald scenarios drive, in one place.
export { Herald } from '@herald/client';
export type { PublishInput } from '@herald/client';
export { createDb, migrateDatabase, withDatabaseName } from '@herald/db';
export type { Db } from '@herald/db';
export {
  CLI_ACTOR,
  createApiKey,
  createApp,
  createEngine,
  createSharedState,
  createWebhook,
} from '@herald/engine';
export type { Engine } from '@herald/engine';
export { createKeyring } from '@herald/signing';
export {
  createPostgresQueueBackend,
  createQueuePool,
  createRedisQueueBackend,
  migrateQueueSchema,
} from '@herald/queue';
