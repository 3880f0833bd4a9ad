export {
  ConfigError,
  checkEnv,
  loadAdminConfig,
  loadCliConfig,
  loadStartConfig,
  loadWorkerConfig,
} from './load.js';
export type { Env } from './load.js';
export type {
  AdminConfig,
  CliConfig,
  RedisConfig,
  SharedConfig,
  StartConfig,
  WorkerConfig,
} from './schemas.js';
export type { HostPort } from './fields.js';
export { parseDurationMs } from './fields.js';
export { resolveSecretKeys } from './secret-key.js';
export type { SecretKeys } from './secret-key.js';
