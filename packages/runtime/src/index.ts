export { openServices } from './services.js';
export type { OpenServicesOptions, Services } from './services.js';
export { onShutdownSignal } from './shutdown.js';
export { REPO_ROOT, STATE_DIR } from './paths.js';
export { migrateAll } from './migrate.js';
export type { MigrateResult } from './migrate.js';
