export { TEST_POSTGRES_URL, TEST_REDIS_URL } from './services.js';
export { createTestDatabase, dropDatabase, uniqueName } from './database.js';
export type { TestDatabase } from './database.js';
export { createTestRedis, deleteKeysWithPrefix, uniquePrefix } from './redis.js';
export { unusedPort } from './ports.js';
export { runProcess, startProcess } from './process.js';
export type { ProcessResult, RunningProcess } from './process.js';
