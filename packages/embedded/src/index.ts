export { DataDirLockedError, LOCK_FILE_NAME, acquireDataDirLock } from './data-dir-lock.js';
export type { DataDirLock } from './data-dir-lock.js';
export { DEFAULT_DATA_DIR, DEFAULT_QUEUE_SCHEMA, openEmbeddedDatabase } from './open.js';
export type { EmbeddedDatabase, EmbeddedMigrationResult, OpenEmbeddedDatabaseOptions } from './open.js';
export { PglitePool, PglitePoolClient } from './pg-pool.js';
export {
  DEFAULT_DETECT_TIMEOUT_MS,
  DEFAULT_LOCAL_POSTGRES,
  DEFAULT_LOCAL_REDIS,
  detectLocalServices,
} from './detect-local-services.js';
export type {
  DetectLocalServicesOptions,
  LocalServiceAddress,
  LocalServices,
} from './detect-local-services.js';
